/**
 * The task stream's trailer (spec api-v1.md section 3): the body ends with
 * `"\nExited (" + code + ") " + error + "\n"`. A 200 only means "launched"; the task's real
 * result is that number. A stream that ends without the line was cut (server died,
 * connection lost) and is an error for the client, never a success.
 */
export interface TaskTrailer {
  exitCode: number;
  /** The text after `Exited (N) `, empty on success. */
  message: string;
}

const TRAILER = /(?:^|\n)Exited \((-?\d+)\) ([^\n]*)\n$/;

/** Parses the trailer at the very end of `text`; undefined when the text doesn't end with one. */
export function parseTaskTrailer(text: string): TaskTrailer | undefined {
  const m = TRAILER.exec(text);
  if (!m) return undefined;
  return { exitCode: Number.parseInt(m[1], 10), message: m[2] };
}

/**
 * Watches a byte stream go by and remembers only its tail, so that the trailer can be found
 * however the chunks split it (even inside a multi-byte character) without holding the
 * whole output in memory.
 */
export class TaskTrailerScanner {
  private readonly decoder = new TextDecoder();
  private tail = "";
  private ended = false;

  constructor(private readonly keepChars = 64 * 1024) {}

  push(chunk: Uint8Array | string): void {
    this.tail += typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    // Trim lazily (at twice the budget) so long streams don't copy on every chunk.
    if (this.tail.length > this.keepChars * 2) this.tail = this.tail.slice(-this.keepChars);
  }

  /** Call once the stream has ended normally. */
  finish(): TaskTrailer | undefined {
    if (!this.ended) {
      this.tail += this.decoder.decode();
      this.ended = true;
    }
    return parseTaskTrailer(this.tail.slice(-this.keepChars));
  }
}
