#!/usr/bin/env bun
// Benchmark: start-up of the compiled binary, bin/deployster against a baseline binary (e.g.
// one built from an earlier commit), interleaved so both see the same machine load.
// Measures `--version` (start-up only), `version` (start-up plus one Engine API call) and
// `ctl --version` (the deployctl path). Prints medians of wall time and of CPU time (user +
// system, steadier on a loaded machine) and the ratios current / baseline.
// Usage: bun scripts/bench/startup.ts BASELINE_BINARY [runs=40]
import { join } from "node:path";
import { median, ratio } from "./stats";

const baseline = process.argv[2];
const RUNS = Number(process.argv[3] ?? 40);
if (!baseline) {
  console.error("usage: bun scripts/bench/startup.ts BASELINE_BINARY [runs]");
  process.exit(2);
}
const current = join(import.meta.dir, "../../bin/deployster");

/** [wall ms, cpu ms] of one run. */
function timeRun(bin: string, args: string[]): [number, number] {
  const t0 = Bun.nanoseconds();
  const p = Bun.spawnSync([bin, ...args], { stdout: "ignore", stderr: "ignore" });
  const wall = (Bun.nanoseconds() - t0) / 1e6;
  if (p.exitCode !== 0) throw new Error(`${bin} ${args.join(" ")} exited ${p.exitCode}`);
  return [wall, Number(p.resourceUsage?.cpuTime.total ?? 0n) / 1000];
}

const ms = (x: number) => `${x.toFixed(1)} ms`.padStart(9);
for (const args of [["--version"], ["version"], ["ctl", "--version"]]) {
  timeRun(current, args);
  timeRun(baseline, args); // warm the page cache for both
  const a: [number, number][] = [];
  const b: [number, number][] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(timeRun(current, args));
    b.push(timeRun(baseline, args));
  }
  const m = (xs: [number, number][], i: 0 | 1) => median(xs.map((x) => x[i]));
  console.log(
    `deployster ${args.join(" ").padEnd(13)} wall ${ms(m(a, 0))} vs ${ms(m(b, 0))} (${ratio(m(a, 0), m(b, 0))})   cpu ${ms(m(a, 1))} vs ${ms(m(b, 1))} (${ratio(m(a, 1), m(b, 1))})`,
  );
}
