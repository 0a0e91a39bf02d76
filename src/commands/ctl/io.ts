/** Output plumbing of the ctl commands: injectable writers (tests collect them). */
import { formatStatus } from "../../client/status-text";
import type { DeploysterClient } from "../../client/client";

export interface CtlWriter {
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean;
  once?(event: "drain", listener: () => void): unknown;
}

export interface CtlContext {
  client: DeploysterClient;
  stdout: CtlWriter;
  stderr: CtlWriter;
  /** Sleeps between status polls (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export function writeLine(out: CtlWriter, line = ""): void {
  out.write(`${line}\n`);
}

/** Writes a chunk honouring backpressure, so a fast task can't fill memory behind a slow pipe. */
export async function writeChunk(out: CtlWriter, chunk: Uint8Array): Promise<void> {
  const ok = out.write(chunk);
  if (ok === false && typeof out.once === "function") await new Promise<void>((resolve) => out.once!("drain", resolve));
}

/**
 * The original deployctl's failure block (on stdout, as it printed it):
 *   Deploy failed :(
 *   -- Response Status: 400 Bad Request
 *   -- Response Body: {...}
 * A 401 instead throws the one-line "credentials refused" error. Returns exit code 1.
 */
export async function reportHttpFailure(ctx: CtlContext, heading: string, res: Response): Promise<number> {
  if (res.status === 401) {
    await res.body?.cancel().catch(() => {});
    throw ctx.client.credentialsRefused();
  }
  const body = await res.text().catch(() => "");
  writeLine(ctx.stdout, heading);
  writeLine(ctx.stdout, `-- Response Status: ${formatStatus(res.status, res.statusText)}`);
  writeLine(ctx.stdout, `-- Response Body: ${body}`);
  return 1;
}
