#!/usr/bin/env bun
// Benchmark for `deployster plan`: a generated manifest of 40 resources over 4
// fixture types, 10 of them depending on others. Prints
//   (a) plan wall time cold (empty conf dir: no init cache) and warm,
//   (b) containers run by each plan (counted from the engine's own event stream),
//   (c) warm plan time / the engine's limit: the same 40 state invocations launched straight
//       through the Engine API with the same parallelism and no engine logic,
//   (d) warm plan time / a sequential run of those 40 invocations,
//   (e) runners, side by side in the same run: the same manifest over the same four types
//       declared reusable (fixtures/images/bench-type-reusable), planned cold and warm with
//       runners; ratios against the engine limit of (c), and the containers each plan created.
// Usage: bun scripts/bench/plan.ts [repetitions=3]   (needs bin/deployster and fixture images)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DockerClient } from "../../src/docker/client";
import { streamEvents } from "../../src/docker/events";
import { runContainer } from "../../src/docker/run";
import { fmtMs, median, ratio, timed } from "./stats";

const REPS = Number(process.argv[2] ?? 3);
const PARALLELISM = 10;
const BIN = resolve(import.meta.dir, "../../bin/deployster");
const FLAVOURS = ["a", "b", "c", "d"];
const typeOf = (i: number) => `deployster-fixture/bench-type:${FLAVOURS[i % 4]}`;
const reusableTypeOf = (i: number) => `deployster-fixture/bench-type-reusable:${FLAVOURS[i % 4]}`;
const docker = DockerClient.fromEnv();

const workspace = mkdtempSync(join(tmpdir(), "deployster-bench-plan-"));
const manifest = join(workspace, "deployster.yaml");
const reusableManifest = join(workspace, "reusable.yaml");

function writeManifest(file: string, type: (i: number) => string): void {
  const lines = ["resources:"];
  for (let i = 1; i <= 40; i++) {
    const name = `r${String(i).padStart(2, "0")}`;
    lines.push(`  ${name}:`, `    type: ${type(i)}`);
    if (i > 30) {
      lines.push(`    dependencies:`, `      up: r${String(i - 30).padStart(2, "0")}`, `    config:`, `      upstream: '{{ up.state.name }}'`);
    } else {
      lines.push(`    config:`, `      index: ${i}`);
    }
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
}
writeManifest(manifest, typeOf);
writeManifest(reusableManifest, reusableTypeOf);

/** Runs `fn` while counting creations of containers of the four bench types (of `type`) on the engine. */
async function countingContainers<T>(fn: () => Promise<T>, type: (i: number) => string = typeOf): Promise<[number, T]> {
  const ctl = new AbortController();
  let created = 0;
  // Sub-second precision, so the window does not reach back into the direct runs before it.
  const since = (Date.now() / 1000).toFixed(3);
  const watching = streamEvents(
    docker,
    {
      since,
      signal: ctl.signal,
      filters: {
        type: ["container"],
        event: ["create"],
        image: FLAVOURS.map((_, i) => type(i)),
        // Only the engine's own containers carry deployster.phase (the direct runs do not).
        label: ["deployster.phase"],
      },
    },
    () => created++,
  );
  const value = await fn();
  await Bun.sleep(1500); // let the last events arrive
  ctl.abort();
  await watching.catch(() => {});
  return [created, value];
}

async function plan(confDir: string, file = manifest): Promise<void> {
  const p = Bun.spawn([BIN, "plan", "--json", file], {
    cwd: workspace,
    env: { ...process.env, CONF_DIR: confDir, WORKSPACE_DIR: workspace },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`deployster plan exited ${code}:\n${err}\n${out.slice(0, 2000)}`);
}

const payload = (i: number) =>
  JSON.stringify({ name: `r${i}`, type: typeOf(i), version: "bench", verbose: false, workspace, config: { index: i } });
const stateRun = (i: number) =>
  runContainer(docker, { image: typeOf(i), args: ["state"], stdin: payload(i), workdir: workspace, labels: { "deployster.test": "bench" } }).then((r) => {
    if (r.exitCode !== 0) throw new Error(`state invocation failed: ${r.stderr}`);
  });

async function directParallel(): Promise<void> {
  let next = 1;
  const worker = async () => {
    while (next <= 40) await stateRun(next++);
  };
  await Promise.all(Array.from({ length: PARALLELISM }, worker));
}

async function directSequential(): Promise<void> {
  for (let i = 1; i <= 40; i++) await stateRun(i);
}

try {
  const confDir = mkdtempSync(join(tmpdir(), "deployster-bench-conf-"));
  const runnerConf = mkdtempSync(join(tmpdir(), "deployster-bench-conf-"));
  const [coldContainers, [coldMs]] = await countingContainers(() => timed(() => plan(confDir)));
  const [runnerColdContainers, [runnerColdMs]] = await countingContainers(() => timed(() => plan(runnerConf, reusableManifest)), reusableTypeOf);
  const warm: number[] = [];
  const runnerWarm: number[] = [];
  let warmContainers = 0;
  let runnerWarmContainers = 0;
  const direct: number[] = [];
  // Interleaved, so that a change in the machine's load hits every figure alike.
  for (let r = 0; r < REPS; r++) {
    const [n, [ms]] = await countingContainers(() => timed(() => plan(confDir)));
    warm.push(ms);
    warmContainers = n;
    const [rn, [rms]] = await countingContainers(() => timed(() => plan(runnerConf, reusableManifest)), reusableTypeOf);
    runnerWarm.push(rms);
    runnerWarmContainers = rn;
    direct.push((await timed(directParallel))[0]);
  }
  const [seqMs] = await timed(directSequential);
  rmSync(confDir, { recursive: true, force: true });
  rmSync(runnerConf, { recursive: true, force: true });
  const w = median(warm);
  const rw = median(runnerWarm);
  const dpar = median(direct);
  const load = (await Bun.file("/proc/loadavg").text().catch(() => "?")).split(" ").slice(0, 3).join(" ");
  console.log(`manifest: 40 resources, 4 types, 10 dependent; parallelism ${PARALLELISM}; ${REPS} warm repetitions; load average ${load}`);
  console.log(`(a) plan cold:                       ${fmtMs(coldMs)}`);
  console.log(`    plan warm (median):              ${fmtMs(w)}`);
  console.log(`(b) containers run cold / warm:      ${coldContainers} / ${warmContainers}   (target 44 / 40)`);
  console.log(`    engine limit, 40 direct runs:    ${fmtMs(dpar)} (parallel ${PARALLELISM}, median)`);
  console.log(`    40 direct runs, sequential:      ${fmtMs(seqMs)}`);
  console.log(`(c) warm plan / engine limit:        ${ratio(w, dpar)}   (target <= 1.2)`);
  console.log(`(d) warm plan / sequential runs:     ${ratio(w, seqMs)}`);
  console.log(`(e) runners (types labelled deployster.reusable=true):`);
  console.log(`    plan cold / warm (median):       ${fmtMs(runnerColdMs)} / ${fmtMs(rw)}`);
  console.log(`    containers created cold / warm:  ${runnerColdContainers} / ${runnerWarmContainers}   (target: one per runner, 4 / 4)`);
  console.log(`    cold plan / engine limit:        ${ratio(runnerColdMs, dpar)}   (target <= 0.5)`);
  console.log(`    warm plan / engine limit:        ${ratio(rw, dpar)}   (target <= 0.35)`);
  console.log(`    warm plan / warm plan without:   ${ratio(rw, w)}`);
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
