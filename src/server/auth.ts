import { createHash, timingSafeEqual } from "node:crypto";
import { errorResponse } from "./http";

export const REALM = "Deployster";

export interface Credentials {
  username: string;
  password: string;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Constant-time string equality: both sides hashed to equal length first, no early exit. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Splits `Authorization: Basic base64(user:password)`; undefined when absent or malformed. */
export function parseBasicAuth(header: string | null): Credentials | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i < 0) return undefined;
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** True when the request carries the configured credentials. User and password are both compared. */
export function isAuthorized(header: string | null, expected: Credentials): boolean {
  const given = parseBasicAuth(header) ?? { username: "", password: "" };
  const userOk = safeEqual(given.username, expected.username);
  const passOk = safeEqual(given.password, expected.password);
  return userOk && passOk && header !== null;
}

export function unauthorizedResponse(): Response {
  return errorResponse(401, "Authentication is required.  Send HTTP basic credentials.", {
    "WWW-Authenticate": `Basic realm="${REALM}"`,
  });
}
