export type StreamName = "stdin" | "stdout" | "stderr";
const STREAMS: StreamName[] = ["stdin", "stdout", "stderr"];

/**
 * Splits Docker's multiplexed attach/logs stream: frames of an 8-byte header
 * ([stream, 0, 0, 0, size as big-endian uint32]) followed by `size` bytes. Chunks may split
 * a frame anywhere (even inside the header) or carry many frames; the demuxer buffers.
 */
export class FrameDemuxer {
  private buf: Uint8Array = new Uint8Array(0);

  constructor(private readonly onFrame: (stream: StreamName, data: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    this.buf = this.buf.length === 0 ? chunk : concat(this.buf, chunk);
    let off = 0;
    while (this.buf.length - off >= 8) {
      const view = new DataView(this.buf.buffer, this.buf.byteOffset + off, 8);
      const size = view.getUint32(4);
      if (this.buf.length - off - 8 < size) break;
      const stream = STREAMS[this.buf[off]!] ?? "stdout";
      if (size > 0) this.onFrame(stream, this.buf.subarray(off + 8, off + 8 + size));
      off += 8 + size;
    }
    // Copy what is left: the caller may reuse the chunk's memory after push() returns.
    this.buf = this.buf.slice(off);
  }

  /** Bytes of an incomplete frame still buffered (non-zero at end of stream = truncated). */
  get pending(): number {
    return this.buf.length;
  }
}

/** A new array holding `a` then `b`. */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Longest line passed on whole (characters); a longer one is cut there, its rest dropped. */
export const MAX_LINE_CHARS = 64 * 1024;
/** Appended to a line that was cut at the limit. */
export const LINE_CUT_MARK = " [line cut at 64 KiB]";

export interface LineSplitterOptions {
  /** Default MAX_LINE_CHARS. */
  maxLineChars?: number;
}

/**
 * Cuts a byte stream into text lines; the last partial line comes out on flush().
 * Linear in the input: every character is scanned once and copied at most twice, and a
 * line in progress holds at most `maxLineChars` characters, so a stream without newlines
 * (a misbehaving container) costs neither quadratic time nor unbounded memory.
 */
export class LineSplitter {
  private parts: string[] = [];
  private length = 0;
  /** The line in progress passed the limit: the rest of it is dropped. */
  private cut = false;
  private readonly decoder = new TextDecoder();
  private readonly maxLine: number;

  constructor(
    private readonly onLine: (line: string) => void,
    options: LineSplitterOptions = {},
  ) {
    this.maxLine = options.maxLineChars ?? MAX_LINE_CHARS;
  }

  push(chunk: Uint8Array): void {
    this.take(this.decoder.decode(chunk, { stream: true }));
  }

  flush(): void {
    this.take(this.decoder.decode());
    if (this.length > 0 || this.cut) this.emit();
  }

  /** Characters held for the line in progress (never more than the line limit). */
  get buffered(): number {
    return this.length;
  }

  private take(text: string): void {
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      this.append(text, start, nl);
      this.emit();
      start = nl + 1;
    }
    this.append(text, start, text.length);
  }

  private append(text: string, from: number, to: number): void {
    if (this.cut || from >= to) return;
    const room = this.maxLine - this.length;
    if (to - from > room) {
      if (room > 0) this.parts.push(text.slice(from, from + room));
      this.length = this.maxLine;
      this.cut = true;
      return;
    }
    this.parts.push(text.slice(from, to));
    this.length += to - from;
  }

  private emit(): void {
    let line = this.parts.length === 1 ? this.parts[0]! : this.parts.join("");
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (this.cut) line += LINE_CUT_MARK;
    this.parts = [];
    this.length = 0;
    this.cut = false;
    this.onLine(line);
  }
}
