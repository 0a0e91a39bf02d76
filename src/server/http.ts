/** Response helpers shared by the handlers: the v1 API's JSON error shape (`{"error"}`) and status texts. */
import type { ErrorBody } from "../api/v1";


export const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  403: "Forbidden",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** An error answer: `{"description": "<why>", "error": "<status text>"}`, application/json. */
export function errorResponse(status: number, description: string, headers: Record<string, string> = {}): Response {
  const error: ErrorBody = { description, error: STATUS_TEXT[status] ?? "Error" };
  const body = JSON.stringify(error);
  return new Response(`${body}\n`, { status, headers: { "Content-Type": "application/json", ...headers } });
}

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(value)}\n`, { status, headers: { "Content-Type": "application/json", ...headers } });
}

/** An empty answer (201, 204), still with the JSON Content-Type v1 clients expect. */
export function emptyResponse(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers: { "Content-Type": "application/json", ...headers } });
}

/** Thrown by handlers for a 4xx/5xx with a description; the app turns it into errorResponse. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** Maximum request body (deploy and task bodies are tiny; a task command may be long-ish). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads the body as JSON, enforcing MAX_BODY_BYTES even without a Content-Length (chunked).
 * An empty body is `undefined` (callers report the missing field).
 */
export async function readJsonBody(req: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `The request body is larger than ${limit} bytes.`);
  const parts: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    for await (const chunk of req.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > limit) throw new HttpError(413, `The request body is larger than ${limit} bytes.`);
      parts.push(chunk);
    }
  }
  const text = new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(parts));
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `The request body is not valid JSON (${(err as Error).message}).`);
  }
}

/** What the app needs of the HTTP server: setting the idle timeout of one request's connection. */
export interface RequestControl {
  timeout(req: Request, seconds: number): void;
}
