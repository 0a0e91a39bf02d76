#!/usr/bin/env bun
// Benchmark: LineSplitter (what cuts a container's output into live lines) on 16 MiB in
// 4 KiB chunks, without any newline (a misbehaving type) and with a newline every 80
// characters, versus a baseline that only decodes the same chunks and scans them for
// newlines. Linear splitting keeps the ratio small and the same for both inputs.
// Usage: bun scripts/bench/line-splitter.ts [reps=5]
import { LineSplitter } from "../../src/docker/demux";
import { fmtMs, median, ratio } from "./stats";

const REPS = Number(process.argv[2] ?? 5);
const CHUNK = 4096;
const TOTAL = 16 * 1024 * 1024;

function chunksOf(lineLength: number): Uint8Array[] {
  const all = new Uint8Array(TOTAL).fill(0x78);
  if (lineLength > 0) for (let i = lineLength; i < TOTAL; i += lineLength + 1) all[i] = 0x0a;
  const out: Uint8Array[] = [];
  for (let off = 0; off < TOTAL; off += CHUNK) out.push(all.subarray(off, off + CHUNK));
  return out;
}

function baseline(chunks: Uint8Array[]): number {
  const decoder = new TextDecoder();
  let newlines = 0;
  for (const c of chunks) {
    const text = decoder.decode(c, { stream: true });
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) newlines++;
  }
  return newlines;
}

function splitter(chunks: Uint8Array[]): number {
  let lines = 0;
  const s = new LineSplitter(() => lines++);
  for (const c of chunks) s.push(c);
  s.flush();
  return lines;
}

function time(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

for (const [label, lineLength] of [["no newline", 0], ["80-char lines", 80]] as const) {
  const chunks = chunksOf(lineLength);
  const base: number[] = [];
  const split: number[] = [];
  for (let i = 0; i < REPS; i++) {
    base.push(time(() => baseline(chunks)));
    split.push(time(() => splitter(chunks)));
  }
  const [b, s] = [median(base), median(split)];
  console.log(`16 MiB, ${label.padEnd(13)} LineSplitter ${fmtMs(s).padStart(9)}  scan-only baseline ${fmtMs(b).padStart(9)}  ratio ${ratio(s, b)}`);
}
