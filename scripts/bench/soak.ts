#!/usr/bin/env bun
// Soak of `deployster serve`: does it stay flat over a long run?
//   200 deploys in a row (1 instance each, v1 and v2 alternating with destroy_previous,
//   routed through a real Caddy), then 200 tasks (`echo hi`), then one task streaming 1 GiB
//   (read to the end by this client). serve's resident memory (VmRSS from /proc/<pid>/status)
//   and open descriptors (/proc/<pid>/fd) are printed after a warm-up (the baseline), after
//   each phase, and at the end.
// Bounds (exit 1 when broken): RSS growth from baseline to end < 50 MiB; descriptors back
// to the baseline at the end. The peak RSS during the stream is printed too.
// API calls use Connection: close, so client sockets never count as serve's descriptors.
// Everything carries deployster.test=bench-soak-<run> and is removed at the end.
// Usage: bun scripts/bench/soak.ts [deploys=200] [tasks=200] [streamMiB=1024]
//   (needs bin/deployster and the fixture image deployster/app)
import { DockerClient } from "../../src/docker/client";
import { startCaddy, type Caddy } from "../../test/support/caddy";
import { cleanUp, deployTimestamp, pollUntil, processFootprint, startServeProcess, tagVersions, type ServeProcess } from "./serve-process";
import { fmtMs } from "./stats";

const DEPLOYS = Number(process.argv[2] ?? 200);
const TASKS = Number(process.argv[3] ?? 200);
const STREAM_MIB = Number(process.argv[4] ?? 1024);
const RUN = Math.random().toString(36).slice(2, 6);
const LABEL = `deployster.test=bench-soak-${RUN}`;
const PREFIX = `benchsoak${RUN}`;
const SVC = "soak";
const MAX_GROWTH_MIB = 50;
const docker = DockerClient.fromEnv();

async function deploy(s: ServeProcess, i: number): Promise<string> {
  const version = i % 2 ? "v2" : "v1";
  const timestamp = deployTimestamp(i);
  const r = await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version, timestamp, destroy_previous: true, instance_count: 1 } });
  await r.arrayBuffer();
  if (r.status !== 201) throw new Error(`deploy ${i}: ${r.status}`);
  return pollUntil(`deploy ${i}`, async () => {
    const d = await s.json("GET", `/v1/services/${SVC}/deploys/${version}?timestamp=${timestamp}`);
    return d.status === 200 && d.body.deploy.state !== "rolling" ? String(d.body.deploy.state) : undefined;
  }, 60_000, 25);
}

/** Runs a task, reading its stream to the end; returns the bytes and the trailer. */
async function task(s: ServeProcess, command: string, onBytes?: (n: number) => void): Promise<{ bytes: number; trailer: string }> {
  const r = await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command } });
  if (r.status !== 200 || !r.body) throw new Error(`task: ${r.status} ${await r.text()}`);
  let bytes = 0;
  let tail = "";
  for await (const chunk of r.body) {
    bytes += chunk.length;
    onBytes?.(bytes);
    tail = (tail + Buffer.from(chunk.subarray(Math.max(0, chunk.length - 64))).toString("latin1")).slice(-64);
  }
  return { bytes, trailer: tail.slice(tail.lastIndexOf("\nExited")) };
}

function show(label: string, f: { rssMiB: number; fds: number }): void {
  console.log(`  ${label.padEnd(22)} RSS ${f.rssMiB.toFixed(1).padStart(7)} MiB   fds ${String(f.fds).padStart(4)}`);
}

let caddy: Caddy | undefined;
let serve: ServeProcess | undefined;
const refs = await tagVersions(docker, "deployster/app:v1", PREFIX, SVC, ["v1"]).then(async (a) => [...a, ...(await tagVersions(docker, "deployster/app:v2", PREFIX, SVC, ["v2"]))]);
let broken = false;
try {
  caddy = await startCaddy();
  serve = await startServeProcess({
    password: `soak-${RUN}`,
    prefix: PREFIX,
    labels: LABEL,
    args: ["--caddy-admin", caddy.adminUrl, "--domain", "soak.local", "--health-timeout", "20s"],
    env: { DEPLOYSTER_DRAIN_MS: "0" },
  });
  const s = serve;
  console.log(`soak: ${DEPLOYS} deploys, ${TASKS} tasks, one task streaming ${STREAM_MIB} MiB (serve pid ${s.pid})`);
  // Warm-up: every code path once (JIT, pools, caches), then the baseline.
  for (let i = 0; i < 4; i++) await deploy(s, 100_000 + i);
  for (let i = 0; i < 4; i++) await task(s, "echo hi");
  await task(s, "head -c 1048576 /dev/zero");
  await Bun.sleep(2000);
  const base = processFootprint(s.pid);
  show("baseline (warmed up)", base);

  let t0 = performance.now();
  const states: Record<string, number> = {};
  for (let i = 0; i < DEPLOYS; i++) {
    const st = await deploy(s, i);
    states[st] = (states[st] ?? 0) + 1;
  }
  const deployMs = performance.now() - t0;
  show(`after ${DEPLOYS} deploys`, processFootprint(s.pid));
  console.log(`    ${fmtMs(deployMs)} (${fmtMs(deployMs / Math.max(1, DEPLOYS))} each), states ${JSON.stringify(states)}`);
  if ((states.live ?? 0) !== DEPLOYS) broken = true;

  t0 = performance.now();
  let okTasks = 0;
  for (let i = 0; i < TASKS; i++) if ((await task(s, "echo hi")).trailer === "\nExited (0) \n") okTasks++;
  const taskMs = performance.now() - t0;
  show(`after ${TASKS} tasks`, processFootprint(s.pid));
  console.log(`    ${fmtMs(taskMs)} (${fmtMs(taskMs / Math.max(1, TASKS))} each), ${okTasks} exited 0`);
  if (okTasks !== TASKS) broken = true;

  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, processFootprint(s.pid).rssMiB)), 100);
  t0 = performance.now();
  const want = STREAM_MIB * 1024 * 1024;
  const streamed = await task(s, `head -c ${want} /dev/zero`);
  const streamMs = performance.now() - t0;
  clearInterval(sampler);
  show(`after the ${STREAM_MIB} MiB task`, processFootprint(s.pid));
  const payload = streamed.bytes - streamed.trailer.length;
  console.log(`    ${fmtMs(streamMs)} (${((payload / 1048576) / (streamMs / 1000)).toFixed(0)} MiB/s), ${payload} bytes, trailer ${JSON.stringify(streamed.trailer)}, peak RSS during it ${peak.toFixed(1)} MiB`);
  if (payload !== want || streamed.trailer !== "\nExited (0) \n") broken = true;

  // Settle: sockets closed by the peers, garbage collected on serve's own schedule.
  let end = processFootprint(s.pid);
  for (let i = 0; i < 20 && (end.fds > base.fds || end.rssMiB - base.rssMiB >= MAX_GROWTH_MIB); i++) {
    await Bun.sleep(500);
    end = processFootprint(s.pid);
  }
  show("end", end);
  const growth = end.rssMiB - base.rssMiB;
  const memOk = growth < MAX_GROWTH_MIB;
  const fdOk = end.fds <= base.fds;
  console.log(`  RSS growth ${growth.toFixed(1)} MiB (bound < ${MAX_GROWTH_MIB}): ${memOk ? "ok" : "BROKEN"}; fds ${base.fds} → ${end.fds} (bound: back to baseline): ${fdOk ? "ok" : "BROKEN"}`);
  if (!memOk || !fdOk) broken = true;
} catch (err) {
  console.error(`soak failed: ${(err as Error).message}`);
  if (serve) console.error(serve.output().split("\n").slice(-20).join("\n"));
  broken = true;
} finally {
  if (serve) console.log(`serve exited ${await serve.stop()}`);
  if (process.env.SOAK_LOG) console.log(serve?.output());
  await caddy?.stop();
  await cleanUp(docker, LABEL, refs);
}
process.exit(broken ? 1 : 0);
