/**
 * Sends ApiRequests with ofetch (over Bun's fetch) and turns every way a connection can fail into one
 * readable line (a ConnectionError, a UserError). HTTP error statuses are NOT errors here:
 * the commands print them in deployctl's words (CTL.md).
 */
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { ofetch } from "ofetch";
import { UserError } from "../errors";
import type { ApiRequest } from "./requests";

export class ConnectionError extends UserError {
  override name = "ConnectionError";
}

export interface TransportOptions {
  /** Extra trusted CA certificates (PEM), added to the system roots. */
  extraCa?: string[];
  /**
   * Socket idle timeout in ms; false disables it (task streams may stay silent for as long
   * as the task likes). Default: Bun's own (5 minutes).
   */
  idleTimeoutMs?: number | false;
  signal?: AbortSignal;
}

/**
 * Reads a PEM CA bundle for --ca-cert. It is added to the system roots rather than
 * replacing them, so a public certificate keeps working too.
 */
export function loadCaCert(path: string, source = "--ca-cert"): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String((err as Error).message ?? err);
    throw new UserError(`cannot read the CA certificate ${path} (${source}): ${why}`);
  }
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text)) {
    throw new UserError(`the CA certificate ${path} (${source}) holds no PEM certificate`);
  }
  return text;
}

/** The `tls` option for fetch: system roots plus the extra CAs (undefined = Bun's default). */
export function buildTlsOptions(extraCa: string[] | undefined): { ca: string[] } | undefined {
  if (!extraCa || extraCa.length === 0) return undefined;
  return { ca: [...rootCertificates, ...extraCa] };
}

/**
 * One request through ofetch, as a raw Response: no retries (a deploy must not be sent
 * twice), error statuses returned rather than thrown, and the body left unread
 * (`responseType: "stream"`) so that task output streams as it arrives. Bun's own options
 * (`tls`, `timeout: false` for silent task streams) pass through to its fetch.
 */
export async function sendApiRequest(req: ApiRequest, options: TransportOptions = {}): Promise<Response> {
  const tls = buildTlsOptions(options.extraCa);
  try {
    return await ofetch.raw(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: "manual",
      signal: options.signal,
      retry: 0,
      ignoreResponseError: true,
      responseType: "stream",
      ...(tls ? { tls } : {}),
      ...(options.idleTimeoutMs !== undefined ? { timeout: options.idleTimeoutMs } : {}),
    } as Parameters<typeof ofetch.raw>[1]);
  } catch (err) {
    // ofetch wraps the network error; its cause says what went wrong.
    throw describeFetchFailure((err as { cause?: unknown })?.cause ?? err, req.url);
  }
}

const TLS_TRUST_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

/** One line that says what went wrong and what to check. Pure: tested with fake errors. */
export function describeFetchFailure(err: unknown, url: string): UserError {
  if (err instanceof UserError) return err;
  const e = err as { name?: string; code?: string; message?: string };
  const code = e?.code ?? "";
  const msg = e?.message ?? String(err);
  let origin = url;
  let hostname = "";
  let https = false;
  try {
    const u = new URL(url);
    origin = u.origin;
    hostname = u.hostname;
    https = u.protocol === "https:";
  } catch {
    /* keep the raw string */
  }
  const at = `deployster at ${origin}`;
  if (e?.name === "AbortError" || e?.name === "TimeoutError") return new ConnectionError(`no answer from ${at} (timed out)`);
  if (code === "ECONNREFUSED" || /ECONNREFUSED/.test(msg))
    return new ConnectionError(`cannot connect to ${at}: connection refused (is deployster serve running there? check --url)`);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || /getaddrinfo|ENOTFOUND|DNS/i.test(msg))
    return new ConnectionError(`cannot connect to ${at}: unknown host "${hostname}" (check --url)`);
  if (TLS_TRUST_CODES.has(code) || /unable to verify|self[- ]signed|certificate/i.test(msg)) {
    if (code === "CERT_HAS_EXPIRED") return new ConnectionError(`the TLS certificate of ${at} has expired`);
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || /altname|hostname/i.test(msg))
      return new ConnectionError(`the TLS certificate of ${at} is not valid for "${hostname}" (${msg})`);
    return new ConnectionError(
      `the TLS certificate of ${at} is not trusted (${msg}); pass its CA with --ca-cert or DEPLOYSTER_CA_CERT`,
    );
  }
  if (code === "EPROTO" || /handshake/i.test(msg))
    return new ConnectionError(`the TLS handshake with ${at} failed (does the server speak HTTPS on that port? if not, use an http:// URL)`);
  if (code === "ECONNRESET" || /ECONNRESET|closed unexpectedly/i.test(msg))
    return new ConnectionError(
      `the connection to ${at} was closed unexpectedly${https ? "" : " (is it an HTTPS server? then use an https:// URL)"}`,
    );
  if (code === "ETIMEDOUT" || /timed? ?out/i.test(msg)) return new ConnectionError(`no answer from ${at} (timed out)`);
  if (code === "ERR_INVALID_URL" || code === "ERR_INVALID_ARG_VALUE") return new ConnectionError(`invalid URL ${url}: ${msg}`);
  return new ConnectionError(`request to ${at} failed: ${msg}${code && !msg.includes(code) ? ` (${code})` : ""}`);
}
