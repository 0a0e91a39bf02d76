/**
 * Request guards applied after authentication (pure, on headers only).
 *
 * Browsers attach cached basic-auth credentials to requests another site makes them send,
 * so a page elsewhere could deploy or run tasks in the user's name. Such requests carry an
 * `Origin` naming the other site and/or `Sec-Fetch-Site: cross-site` (or `same-site` for a
 * sibling subdomain): they are refused. API clients (ctl, curl, scripts) send neither.
 * Every method is checked: nothing in this API is meant for a browser on another site.
 *
 * JSON bodies must say so: a cross-site form can post `text/plain` or form-encoded bodies
 * without a preflight, never `application/json`.
 */
import { HttpError } from "./http";

/** The reason to refuse a request coming from another site, or undefined when it may go on. */
export function crossSiteReason(headers: Headers): string | undefined {
  const site = headers.get("sec-fetch-site")?.trim().toLowerCase();
  if (site === "cross-site" || site === "same-site") return `Cross-site requests are refused (Sec-Fetch-Site: ${site}).`;
  const origin = headers.get("origin");
  if (origin === null) return undefined;
  const host = headers.get("host")?.trim().toLowerCase();
  let originHost: string | undefined;
  try {
    originHost = origin === "null" ? undefined : new URL(origin).host.toLowerCase();
  } catch {
    originHost = undefined;
  }
  if (!originHost) return `Cross-site requests are refused (Origin: ${origin.slice(0, 100)}).`;
  if (!host || originHost !== host) return `Cross-site requests are refused (Origin ${originHost} is not this server, ${host ?? "no Host"}).`;
  return undefined;
}

/** `application/json` or any `application/<x>+json`, parameters (charset) allowed. */
export function isJsonContentType(value: string | null): boolean {
  if (!value) return false;
  const type = value.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type);
}

/** Throws 415 unless the request declares a JSON body. */
export function requireJsonContentType(req: Request): void {
  const type = req.headers.get("content-type");
  if (!isJsonContentType(type)) {
    throw new HttpError(415, `The request body must be JSON, sent with Content-Type: application/json (got ${type ? JSON.stringify(type.slice(0, 100)) : "none"}).`);
  }
}
