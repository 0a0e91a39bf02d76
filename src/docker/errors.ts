/** The engine answered with an error status. Carries what a user needs to see. */
export class DockerApiError extends Error {
  override name = "DockerApiError";
  constructor(
    readonly status: number,
    readonly method: string,
    readonly endpoint: string,
    readonly engineMessage: string,
  ) {
    super(`Docker engine: ${method} ${endpoint} failed (${status}): ${engineMessage}`);
  }
}

/** The engine could not be reached at all (socket missing, connection refused...). */
export class DockerUnreachableError extends Error {
  override name = "DockerUnreachableError";
  constructor(readonly target: string, readonly reason: string) {
    super(`cannot reach the Docker engine at ${target} (${reason}); is dockerd running? (scripts/setup.sh starts it)`);
  }
}

/** Turns an error response into a DockerApiError, using the engine's `{"message": ...}` body. */
export async function toApiError(res: Response, method: string, endpoint: string): Promise<DockerApiError> {
  const text = await res.text().catch(() => "");
  let message = text.trim() || res.statusText;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    /* not JSON: keep the text */
  }
  return new DockerApiError(res.status, method, endpoint, message);
}

/** The engine's answer to a create whose image it does not have (404 "No such image"). */
export function isMissingImage(err: unknown): boolean {
  return err instanceof DockerApiError && err.status === 404 && /no such image/i.test(err.engineMessage);
}

export function isNotFound(err: unknown): boolean {
  return err instanceof DockerApiError && err.status === 404;
}

/** Maps low-level connection failures to one readable reason. */
export function describeConnectError(err: unknown): string | undefined {
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? "";
  const msg = e?.message ?? String(err);
  if (code === "ENOENT" || /ENOENT|no such file/i.test(msg)) return "no such socket";
  if (code === "ECONNREFUSED" || /ECONNREFUSED|refused/i.test(msg)) return "connection refused";
  if (code === "EACCES" || /EACCES|permission denied/i.test(msg)) return "permission denied";
  if (/FailedToOpenSocket|Unable to connect|ConnectionClosed|ECONNRESET|socket/i.test(`${code} ${msg}`)) return msg;
  return undefined;
}
