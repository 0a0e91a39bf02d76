#!/usr/bin/env bun
// Benchmark for the built-in Docker types, side by side with Debian's docker-compose
// (1.29) on an equivalent compose file, in one run:
//   (a) apply from scratch of 20 containers (+ their network):
//       `deployster apply -y` vs `docker-compose up -d`            target ≤ 1.0 × compose
//       (also shown: `apply --parallelism 20`; the engine's default is 10, compose's limit 64)
//   (b) nothing to do, 50 unchanged containers:
//       `deployster plan` (and `apply -y`) vs `docker-compose up -d`   target ≤ 0.1 × compose
// Each measurement is repeated (alternating which tool goes first) and the median is shown.
// Every container and network carries deployster.managed=true and deployster.test=bench-builtins
// and is removed at the end.
// Usage: bun scripts/bench/builtins.ts [repetitions=5]   (needs bin/deployster, or DEPLOYSTER_BIN, and fixture image web)
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DockerClient } from "../../src/docker/client";
import { listContainers, removeContainer, stopContainer } from "../../src/docker/containers";
import { inspectImage } from "../../src/docker/images";
import { listNetworks, removeNetwork } from "../../src/docker/networks";
import { fmtMs, median, ratio, timed } from "./stats";

const REPS = Number(process.argv[2] ?? 5);
const ROOT = resolve(import.meta.dir, "../..");
const BIN = process.env.DEPLOYSTER_BIN ?? join(ROOT, "bin/deployster");
const IMAGE = "deployster-fixture/web:1";
const BENCH_LABEL = "deployster.test=bench-builtins";
const docker = DockerClient.fromEnv();
/** Per-run name part, so that a run never meets objects of an earlier (interrupted) one. */
const RUN = Math.random().toString(36).slice(2, 6);
const workspace = mkdtempSync(join(tmpdir(), "deployster-bench-builtins-"));

function deploysterManifest(prefix: string, n: number): string {
  const labels = `{ deployster.test: bench-builtins }`;
  const lines = ["resources:", "  net:", "    type: deployster/docker-network", `    config: { name: ${prefix}-net, labels: ${labels} }`];
  for (let i = 1; i <= n; i++) {
    const name = `web${String(i).padStart(2, "0")}`;
    lines.push(
      `  ${name}:`,
      "    type: deployster/docker-container",
      "    dependencies: { net: net }",
      "    config:",
      `      name: ${prefix}-${name}`,
      `      image: ${IMAGE}`,
      `      env: { MESSAGE: "${i}" }`,
      `      networks: [${prefix}-net]`,
      `      labels: ${labels}`,
      "      stop_timeout: 2",
    );
  }
  return `${lines.join("\n")}\n`;
}

function composeFile(prefix: string, n: number): string {
  const labels = `{ deployster.managed: "true", deployster.test: bench-builtins }`;
  const lines = ['version: "2.4"', "services:"];
  for (let i = 1; i <= n; i++) {
    const name = `web${String(i).padStart(2, "0")}`;
    lines.push(
      `  ${name}:`,
      `    image: ${IMAGE}`,
      `    environment: { MESSAGE: "${i}" }`,
      `    networks: [bench]`,
      `    labels: ${labels}`,
      "    stop_grace_period: 2s",
    );
  }
  lines.push("networks:", "  bench:", `    name: ${prefix}-net`, `    labels: ${labels}`);
  return `${lines.join("\n")}\n`;
}

interface Stack {
  name: string;
  dir: string;
}

function writeStacks(tag: string, n: number): { ds: Stack; dc: Stack } {
  const ds = { name: `dsb${RUN}${tag}`, dir: join(workspace, `ds-${tag}`) };
  const dc = { name: `dcb${RUN}${tag}`, dir: join(workspace, `dc-${tag}`) };
  for (const s of [ds, dc]) Bun.spawnSync(["mkdir", "-p", s.dir]);
  writeFileSync(join(ds.dir, "deployster.yaml"), deploysterManifest(ds.name, n));
  writeFileSync(join(dc.dir, "docker-compose.yml"), composeFile(dc.name, n));
  return { ds, dc };
}

async function run(argv: string[], cwd: string): Promise<void> {
  const p = Bun.spawn(argv, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, COMPOSE_INTERACTIVE_NO_CLI: "1" } });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}:\n${err}\n${out.slice(0, 2000)}`);
}

const deploysterApply = (s: Stack, extra: string[] = []) => run([BIN, "apply", "-y", ...extra, join(s.dir, "deployster.yaml")], s.dir);
const deploysterPlan = (s: Stack) => run([BIN, "plan", join(s.dir, "deployster.yaml")], s.dir);
const composeUp = (s: Stack) => run(["docker-compose", "-p", s.name, "up", "-d"], s.dir);

/** Network removal can race the engine's endpoint teardown of just-removed containers. */
async function removeNetworkPatiently(id: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await removeNetwork(docker, id);
    } catch (err) {
      if (i >= 20) throw err;
      await Bun.sleep(250);
    }
  }
}

/**
 * One at a time, stopped before removed: concurrent forced removals on a busy 2-core engine
 * (20.10) have been seen to leak a network endpoint count, leaving a network nobody can remove.
 */
async function stopAndRemove(id: string): Promise<void> {
  await stopContainer(docker, id, 2);
  await removeContainer(docker, id, { force: true });
}

/** Removes a stack's containers and network (untimed), whichever tool made them. */
async function removeStack(prefix: string): Promise<void> {
  const cs = await listContainers(docker, { all: true, labels: [BENCH_LABEL] });
  const mine = cs.filter((c) => String(c.Names?.[0] ?? "").startsWith(`/${prefix}`));
  for (const c of mine) await stopAndRemove(c.Id);
  for (const n of await listNetworks(docker, { labels: [BENCH_LABEL] })) if (n.Name.startsWith(prefix)) await removeNetworkPatiently(n.Id);
}

async function removeAll(): Promise<void> {
  for (const prefix of [`dsb${RUN}`, `dcb${RUN}`]) await removeStack(prefix);
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error("bin/deployster is missing: bun run build");
  if (!(await inspectImage(docker, IMAGE))) throw new Error(`${IMAGE} is missing: bash scripts/build-fixture-images.sh web`);
  console.log(`deployster built-ins vs docker-compose 1.29 (medians of ${REPS}; ${navigator.hardwareConcurrency} cores)\n`);

  // (a) from scratch, 20 containers.
  const a = writeStacks("20", 20);
  const tA: number[] = [];
  const tA20: number[] = [];
  const cA: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const order = r % 2 === 0 ? (["ds", "dc"] as const) : (["dc", "ds"] as const);
    for (const who of order) {
      if (who === "ds") tA.push((await timed(() => deploysterApply(a.ds)))[0]);
      else cA.push((await timed(() => composeUp(a.dc)))[0]);
    }
    await removeStack(a.ds.name);
    await removeStack(a.dc.name);
    // The engine's default parallelism is 10; compose starts up to 64 at once.
    tA20.push((await timed(() => deploysterApply(a.ds, ["--parallelism", "20"])))[0]);
    await removeStack(a.ds.name);
  }

  // (b) nothing to do, 50 containers.
  const b = writeStacks("50", 50);
  await deploysterApply(b.ds);
  await composeUp(b.dc);
  const tPlan: number[] = [];
  const tNoopApply: number[] = [];
  const cB: number[] = [];
  for (let r = 0; r < REPS; r++) {
    cB.push((await timed(() => composeUp(b.dc)))[0]);
    tPlan.push((await timed(() => deploysterPlan(b.ds)))[0]);
    tNoopApply.push((await timed(() => deploysterApply(b.ds)))[0]);
  }

  const row = (label: string, ms: number[], base: number[], target?: string) =>
    console.log(`  ${label.padEnd(44)} ${fmtMs(median(ms)).padStart(9)}   ratio ${ratio(median(ms), median(base))}${target ? `  (target ≤ ${target})` : ""}`);
  console.log("(a) apply from scratch, 20 containers + network");
  row("docker-compose up -d", cA, cA);
  row("deployster apply -y", tA, cA, "1.0");
  row("deployster apply -y --parallelism 20", tA20, cA);
  console.log("\n(b) nothing to do, 50 unchanged containers");
  row("docker-compose up -d", cB, cB);
  row("deployster plan", tPlan, cB, "0.1");
  row("deployster apply -y (plan, nothing to apply)", tNoopApply, cB);
}

try {
  await main();
} catch (err) {
  console.error(`benchmark failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await removeAll().catch((err) => console.error(`clean-up failed: ${(err as Error).message}`));
  rmSync(workspace, { recursive: true, force: true });
}
