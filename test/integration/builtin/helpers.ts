/**
 * Drives the built-in types through the ResourceType interface the way the engine does:
 * validate config against init's schema → state → actions → state must be VALID.
 */
import Ajv from "ajv";
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { DockerClient, type RequestOptions } from "../../../src/docker/client";
import { BurstCache } from "../../../src/resource-types/builtin/common/burst-cache";
import { createDockerBuiltinTypes } from "../../../src/resource-types/builtin/index";
import type { ActionSpec, InvocationIO, ResourceType, StateResult } from "../../../src/engine/resource-type";
import { docker } from "../../support/docker";
import { BIN, ensureBinary, ROOT } from "../../support/binary";
import { freePort } from "../../support/registry";

export { freePort };

export { BIN, ensureBinary, ROOT };

export const TEST_LABEL = "deployster.test=builtin";
export const LABELS = { "deployster.test": "builtin" };

/** A client that records every request (method + path), to prove what a plan does not do. */
export class RecordingClient extends DockerClient {
  calls: string[] = [];
  override async request(method: string, path: string, opts?: RequestOptions): Promise<Response> {
    this.calls.push(`${method} ${path}`);
    return super.request(method, path, opts);
  }
}

export const client = new RecordingClient(docker.host);
/** Cleared at the start of every top-level plan: each stands for a new deployster process. */
const cache = new BurstCache();
const types = new Map(createDockerBuiltinTypes({ docker: () => client, cache }).map((t) => [t.type, t]));
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });

export interface Resource {
  name: string;
  type: string;
  config: Record<string, unknown>;
}

export function typeOf(r: Resource): ResourceType {
  const t = types.get(r.type);
  if (!t) throw new Error(`no built-in ${r.type}`);
  return t;
}

export function makeIO(lines: string[] = []): InvocationIO & { lines: string[] } {
  return { signal: new AbortController().signal, output: (_s, l) => lines.push(l), lines };
}

const base = (r: Resource) => ({ name: r.name, type: r.type, version: "test", verbose: false, workspace: process.cwd() });

/** The engine's schema check, returning ajv's problems as `path message` strings. */
export async function validate(r: Resource): Promise<string[]> {
  const init = await typeOf(r).init(base(r), makeIO());
  const fn = ajv.compile(init.config_schema!);
  if (fn(r.config)) return [];
  return (fn.errors ?? []).map((e) => `config${e.instancePath.replace(/\/(\d+)/g, "[$1]").replace(/\//g, ".")} ${e.message}`);
}

export async function planOf(r: Resource, io = makeIO(), freshRun = true): Promise<StateResult> {
  if (freshRun) cache.clear();
  const problems = await validate(r);
  if (problems.length) throw new Error(`illegal config for '${r.name}': ${problems.join("; ")}`);
  const t = typeOf(r);
  const init = await t.init(base(r), io);
  return t.state({ ...base(r), config: r.config }, init, [], io);
}

export async function runActions(r: Resource, plan: StateResult, io = makeIO()): Promise<void> {
  if (plan.status !== "STALE") return;
  const t = typeOf(r);
  const init = await t.init(base(r), io);
  for (const a of plan.actions as ActionSpec[]) {
    await t.action({ ...base(r), config: r.config, staleState: plan.staleState ?? {} }, a, init, [], io);
  }
}

/** state → actions → state (must be VALID); returns the first plan and the final state. */
export async function converge(r: Resource, io = makeIO()): Promise<{ plan: StateResult; state: Record<string, any> }> {
  const plan = await planOf(r, io);
  await runActions(r, plan, io);
  const after = await planOf(r, io, false);
  if (after.status !== "VALID") throw new Error(`expected '${r.name}' to be VALID after applying actions: ${JSON.stringify(after)}`);
  return { plan, state: after.state };
}

export function actionsOf(plan: StateResult): string[] {
  return plan.status === "STALE" ? plan.actions.map((a) => `${a.name}: ${a.description}`) : [];
}

export function uniquePrefix(): string {
  return `bt${Math.random().toString(36).slice(2, 7)}`;
}

export async function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: (await res.text()).trim() };
}


export const HEALTHCHECK = { test: "wget -q -O /dev/null http://127.0.0.1:$PORT/health", interval: "300ms", timeout: "2s", retries: 3, start_period: "3s" };




export interface BinaryResult {
  code: number;
  out: string;
  err: string;
}

/** Runs bin/deployster with `args` in `cwd` (the workspace). */
export async function runDeployster(args: string[], cwd: string, timeoutMs = 120_000): Promise<BinaryResult> {
  // The workspace's own conf dir: a test never writes into the user's ~/.deployster.
  const env = { ...process.env, CONF_DIR: join(cwd, ".deployster-conf") };
  const proc = Bun.spawn([BIN, ...args], { cwd, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, out, err };
}
