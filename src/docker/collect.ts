import { LineSplitter } from "./demux";

export interface CollectOptions {
  onStdoutLine?(line: string): void;
  onStderrLine?(line: string): void;
  /** Stdout past this many bytes calls `onOverflow` once; later stdout is neither kept nor passed on. */
  maxStdoutBytes?: number;
  /** At most this many bytes of a stream are kept (callbacks still see all). Default: all. */
  keepBytes?: Partial<Record<"stdout" | "stderr", number>>;
  /** Keep a copy at all (default true); false for streams of any size (nothing counts as dropped then). */
  keepOutput?: boolean;
}

/** What a run or an exec reports of its process's output and how it ended. */
export interface CollectedOutput {
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  aborted: boolean;
  /** Stdout passed `maxStdoutBytes`: the process was stopped. */
  stdoutOverflow: boolean;
  /** Bytes of each stream that were produced but not kept (`keepBytes`). */
  dropped: { stdout: number; stderr: number };
}

/**
 * The output of one process as a run or exec keeps it: bounded copies of stdout and stderr,
 * line callbacks, and a stdout cap that reports its overflow (the caller stops the process).
 */
export class OutputCollector {
  readonly dropped = { stdout: 0, stderr: 0 };
  stdoutOverflow = false;
  private readonly chunks = { stdout: [] as Uint8Array[], stderr: [] as Uint8Array[] };
  private readonly kept = { stdout: 0, stderr: 0 };
  private stdoutBytes = 0;
  private readonly lines: Record<"stdout" | "stderr", LineSplitter | undefined>;

  constructor(
    private readonly o: CollectOptions,
    private readonly onOverflow: () => void,
  ) {
    this.lines = {
      stdout: o.onStdoutLine ? new LineSplitter(o.onStdoutLine) : undefined,
      stderr: o.onStderrLine ? new LineSplitter(o.onStderrLine) : undefined,
    };
  }

  /** Takes one chunk; false when it is past the stdout cap (then it is neither kept nor passed on). */
  push(stream: "stdout" | "stderr", data: Uint8Array): boolean {
    if (stream === "stdout" && this.o.maxStdoutBytes !== undefined) {
      if (this.stdoutOverflow) return false;
      this.stdoutBytes += data.length;
      if (this.stdoutBytes > this.o.maxStdoutBytes) {
        this.stdoutOverflow = true;
        this.onOverflow();
        return false;
      }
    }
    if (this.o.keepOutput !== false) this.keep(stream, data);
    this.lines[stream]?.push(data);
    return true;
  }

  private keep(stream: "stdout" | "stderr", data: Uint8Array): void {
    const room = (this.o.keepBytes?.[stream] ?? Infinity) - this.kept[stream];
    const n = Math.min(Math.max(room, 0), data.length);
    // A copy (Buffer#slice would be a view): the demuxer's chunk memory may be reused.
    if (n > 0) this.chunks[stream].push(new Uint8Array(data.subarray(0, n)));
    this.kept[stream] += n;
    this.dropped[stream] += data.length - n;
  }

  /** Flushes the last partial lines and returns what was kept. */
  finish(): { stdout: Buffer; stderr: Buffer } {
    this.lines.stdout?.flush();
    this.lines.stderr?.flush();
    return { stdout: Buffer.concat(this.chunks.stdout), stderr: Buffer.concat(this.chunks.stderr) };
  }
}
