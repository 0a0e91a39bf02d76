#!/usr/bin/env bun
// Benchmark: start-up time of the compiled binary, bin/deployster against a baseline binary
// (e.g. one built from an earlier commit), interleaved so both see the same machine load.
// Measures `--version` (start-up only), `version` (start-up plus one Engine API call) and
// `ctl --version` (the deployctl path). Prints medians and the ratio current / baseline.
// Usage: bun scripts/bench/startup.ts BASELINE_BINARY [runs=40]
import { join } from "node:path";
import { fmtMs, median, ratio } from "./stats";

const baseline = process.argv[2];
const RUNS = Number(process.argv[3] ?? 40);
if (!baseline) {
  console.error("usage: bun scripts/bench/startup.ts BASELINE_BINARY [runs]");
  process.exit(2);
}
const current = join(import.meta.dir, "../../bin/deployster");

function timeRun(bin: string, args: string[]): number {
  const t0 = Bun.nanoseconds();
  const p = Bun.spawnSync([bin, ...args], { stdout: "ignore", stderr: "ignore" });
  const ms = (Bun.nanoseconds() - t0) / 1e6;
  if (p.exitCode !== 0) throw new Error(`${bin} ${args.join(" ")} exited ${p.exitCode}`);
  return ms;
}

for (const args of [["--version"], ["version"], ["ctl", "--version"]]) {
  timeRun(current, args);
  timeRun(baseline, args); // warm the page cache for both
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(timeRun(current, args));
    b.push(timeRun(baseline, args));
  }
  console.log(`deployster ${args.join(" ").padEnd(13)} current ${fmtMs(median(a))}  baseline ${fmtMs(median(b))}  ratio ${ratio(median(a), median(b))}`);
}
