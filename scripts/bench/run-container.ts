#!/usr/bin/env bun
// Benchmark: one-shot container runs through deployster's runContainer (Engine API over the
// socket) versus the Docker CLI's `docker run --rm -i`, same image, same JSON on stdin to
// `cat`, interleaved so both see the same machine load. Prints medians and the ratio.
// Usage: bun scripts/bench/run-container.ts [runs=30]
import { DockerClient } from "../../src/docker/client";
import { runContainer } from "../../src/docker/run";
import { fmtMs, median, ratio, timed } from "./stats";

const RUNS = Number(process.argv[2] ?? 30);
const IMAGE = "deployster-fixture/busybox:latest";
const payload = JSON.stringify({ name: "bench", type: IMAGE, version: "0", verbose: false, workspace: "/tmp", config: { n: 1 } });
const docker = DockerClient.fromEnv();

async function viaEngineApi(): Promise<void> {
  const r = await runContainer(docker, { image: IMAGE, entrypoint: ["cat"], stdin: payload, labels: { "deployster.test": "bench" } });
  if (r.exitCode !== 0 || r.stdout.toString() !== payload) throw new Error(`runContainer gave a wrong result: ${r.exitCode}`);
}

async function viaDockerCli(): Promise<void> {
  const p = Bun.spawn(["docker", "run", "--rm", "-i", "--label", "deployster.test=bench", "--entrypoint", "cat", IMAGE], {
    stdin: new TextEncoder().encode(payload),
    stdout: "pipe",
    stderr: "inherit",
  });
  const out = await new Response(p.stdout).text();
  if ((await p.exited) !== 0 || out !== payload) throw new Error("docker run gave a wrong result");
}

// Warm-up: the first run of each pays one-time costs (image layers, CLI start).
await viaEngineApi();
await viaDockerCli();

const api: number[] = [];
const cli: number[] = [];
for (let i = 0; i < RUNS; i++) {
  api.push((await timed(viaEngineApi))[0]);
  cli.push((await timed(viaDockerCli))[0]);
}
const a = median(api);
const c = median(cli);
console.log(`runs each:                  ${RUNS} (interleaved)`);
console.log(`runContainer median:        ${fmtMs(a)}`);
console.log(`docker run --rm -i median:  ${fmtMs(c)}`);
console.log(`ratio runContainer/docker:  ${ratio(a, c)}  (target <= 1.0)`);
