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

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Cuts a byte stream into text lines; the last partial line comes out on flush(). */
export class LineSplitter {
  private rest = "";
  private readonly decoder = new TextDecoder();

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Uint8Array): void {
    const text = this.rest + this.decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    this.rest = lines.pop() ?? "";
    for (const l of lines) this.onLine(l.endsWith("\r") ? l.slice(0, -1) : l);
  }

  flush(): void {
    const tail = this.rest + this.decoder.decode();
    this.rest = "";
    if (tail !== "") this.onLine(tail);
  }
}
