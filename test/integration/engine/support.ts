/**
 * Runs fixture scenarios (fixtures/manifests/<name>/) through the compiled binary against
 * the real engine. Each run gets a copy of the scenario in a fresh temporary workspace, its
 * own conf dir and a run id `enginetest-...` (DEPLOYSTER_RUN_ID), so runs never share state
 * and leftovers are found by the `deployster.run-id` label.
 */
import { expect } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectImage, listContainers } from "../../../src/docker/index";
import { docker, requireDocker } from "../../support/docker";
import { BIN, ensureBinary, ROOT } from "../../support/binary";

export { BIN, ensureBinary, ROOT };

/** Run ids of this test process: `enginetest-<process>-<run>`, so concurrent test processes never see each other's containers. */
export const RUN_PREFIX = `enginetest-${Math.random().toString(36).slice(2, 6)}-`;

/**
 * The suite runs in two modes: with runners (the default; the rt-* fixture types are labelled
 * reusable, so their invocations run in runners) and, with DEPLOYSTER_TEST_RUNNERS=0,
 * with --no-runners (one fresh container per invocation). Every scenario must pass in both.
 */
export const RUNNERS = process.env.DEPLOYSTER_TEST_RUNNERS !== "0";

/** `args` for this mode: --no-runners after the command when runners are off (plan/apply only). */
export function engineArgs(args: string[]): string[] {
  if (RUNNERS || !["plan", "apply"].includes(args[0] ?? "")) return args;
  return [args[0]!, "--no-runners", ...args.slice(1)];
}

const created: string[] = [];



/** The engine is up, the binary is current and the rt-* fixture types exist. */
/** Builds the fixture folder's images (scripts/build-fixture-images.sh FOLDER). */
export function buildFixtureImages(folder: string): void {
  const p = Bun.spawnSync(["bash", join(ROOT, "scripts/build-fixture-images.sh"), folder], { cwd: ROOT });
  if (p.exitCode !== 0) throw new Error(`cannot build fixture images:\n${p.stderr.toString()}`);
}

/** Builds `folder`'s fixture images unless `image` (one of them) is there already. */
export async function ensureFixtureImages(folder: string, image: string): Promise<void> {
  if (!(await inspectImage(docker, image))) buildFixtureImages(folder);
}

export async function prepare(): Promise<void> {
  await requireDocker();
  ensureBinary();
  const needed = ["deployster-fixture/rt-file:latest", "deployster-fixture/rt-hang-state:latest", "127.0.0.1:5999/deployster-fixture/rt-value:1.0"];
  for (const ref of needed) {
    const image = await inspectImage(docker, ref);
    // Built from an older rt-sh (before its types were declared reusable): rebuild.
    if (image && image.Config?.Labels?.["deployster.reusable"] === "true") continue;
    buildFixtureImages("rt-sh");
    break;
  }
}

/** A fresh temporary workspace holding a copy of fixtures/manifests/<name> (or empty). */
export function workspace(name?: string): string {
  const dir = mkdtempSync(join(tmpdir(), `deployster-engine-${name?.replace(/\W/g, "_") ?? "ws"}-`));
  created.push(dir);
  if (name) cpSync(join(ROOT, "fixtures/manifests", name), dir, { recursive: true });
  return dir;
}

export function cleanupWorkspaces(): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Conf dir (default: <cwd>/.conf, fresh per workspace). */
  confDir?: string;
  stdin?: string;
  timeoutMs?: number;
  /** Default: a fresh one. */
  runId?: string;
  /** Run `args` as given, whatever the suite's runner mode (tests that pick the mode themselves). */
  asGiven?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for assertions that do not care where a line went. */
  output: string;
  runId: string;
}

export function newRunId(): string {
  return `${RUN_PREFIX}${Math.random().toString(36).slice(2, 10)}`;
}

/** Runs `bin/deployster args...` in `cwd` and checks that it left no container behind. */
export async function deployster(args: string[], o: RunOptions): Promise<RunResult> {
  const runId = o.runId ?? newRunId();
  const confDir = o.confDir ?? join(o.cwd, ".conf");
  mkdirSync(confDir, { recursive: true });
  const p = Bun.spawn([BIN, ...(o.asGiven ? args : engineArgs(args))], {
    cwd: o.cwd,
    env: { ...process.env, CONF_DIR: confDir, DEPLOYSTER_RUN_ID: runId, ...o.env },
    stdin: o.stdin !== undefined ? new TextEncoder().encode(o.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => p.kill("SIGKILL"), o.timeoutMs ?? 120_000);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  await expectNoContainers(runId);
  return { code, stdout, stderr, output: `${stdout}\n${stderr}`, runId };
}

export async function containersOf(runId: string): Promise<any[]> {
  return listContainers(docker, { all: true, labels: [`deployster.run-id=${runId}`] });
}

export async function expectNoContainers(runId: string): Promise<void> {
  const left = await containersOf(runId);
  expect(left.map((c) => `${c.Names?.[0]} (${c.State})`)).toEqual([]);
}

/** Every container an engine test run of this process left (should be none). */
export async function engineLeftovers(): Promise<string[]> {
  const all = await listContainers(docker, { all: true, labels: ["deployster.run-id"] });
  return all.filter((c) => String(c.Labels?.["deployster.run-id"] ?? "").startsWith(RUN_PREFIX)).map((c) => c.Names?.[0] ?? c.Id);
}

/** The plan document of `plan --json`. */
export function planDoc(r: RunResult): { resources: any[]; summary: Record<string, number>; format_version: number; run_id: string } {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not a plan document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

export function byName(doc: { resources: any[] }): Record<string, any> {
  return Object.fromEntries(doc.resources.map((r) => [r.name, r]));
}

/** Per-test timeout: generous, the engine is shared with other suites on 2 cores. */
export const TIMEOUT = 180_000;
