/**
 * The body of a task response, with back-pressure: output is queued up to
 * STREAM_HIGH_WATER bytes; past that, `write` returns a promise that settles once the
 * client has read enough, and the caller stops reading the container's output meanwhile
 * (runContainer's onOutput). Nothing else keeps a copy of the output, so a task may print
 * any amount to a client of any speed without growing the server.
 */

/** Bytes queued for the client before reading from the task pauses (back-pressure). */
const STREAM_HIGH_WATER = 256 * 1024;

/** The stream to answer with, `write` (a promise when the client is behind), `close`. */
export function createTaskStream(onCancel: () => void) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  let wake: (() => void) | undefined;
  const release = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: release,
      cancel: () => {
        open = false;
        release();
        onCancel();
      },
    },
    { highWaterMark: STREAM_HIGH_WATER, size: (chunk) => chunk?.byteLength ?? 0 },
  );
  const write = (data: Uint8Array | string): Promise<void> | undefined => {
    if (!open) return undefined;
    try {
      controller.enqueue(typeof data === "string" ? new TextEncoder().encode(data) : data.slice());
    } catch {
      open = false;
      return undefined;
    }
    if ((controller.desiredSize ?? 1) > 0) return undefined;
    return new Promise<void>((resolve) => {
      const before = wake;
      wake = () => {
        before?.();
        resolve();
      };
    });
  };
  const close = () => {
    if (!open) return;
    open = false;
    release();
    try {
      controller.close();
    } catch {}
  };
  return { stream, write, close };
}

