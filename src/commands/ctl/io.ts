/** Output plumbing of the ctl commands: injectable writers (tests collect them). */
import { formatStatus } from "../../client/status-text";
import type { DeploysterClient } from "../../client/client";
import { EXIT_FAILURE } from "../../exit-codes";

export interface CtlWriter {
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean;
  /** Resolves when a write that returned false has drained; rejects if the stream broke. */
  waitDrain?(): Promise<void>;
}

type NodeWritable = {
  write(chunk: string | Uint8Array): boolean;
  isTTY?: boolean;
  on(event: "error", listener: (err: Error) => void): unknown;
  once(event: "drain", listener: () => void): unknown;
  off?(event: "drain", listener: () => void): unknown;
};

/**
 * process.stdout/stderr for the commands. A closed pipe (`deployctl run ... | head`) makes
 * Node-style streams emit 'error' (EPIPE) and never 'drain' again: without this wrapper the
 * error goes unhandled and a writer waiting for 'drain' waits forever.
 */
export class StreamWriter implements CtlWriter {
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly stream: NodeWritable) {
    stream.on("error", (err) => {
      this.error ??= err;
      this.wake?.();
    });
  }

  get isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.error) throw this.error;
    return this.stream.write(chunk);
  }

  waitDrain(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.error) return reject(this.error);
      const done = () => {
        this.wake = undefined;
        this.stream.off?.("drain", done);
        if (this.error) reject(this.error);
        else resolve();
      };
      this.wake = done;
      this.stream.once("drain", done);
    });
  }
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
  if (ok === false && out.waitDrain) await out.waitDrain();
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
  return EXIT_FAILURE;
}
