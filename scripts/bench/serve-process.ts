/**
 * What the chaos and soak benchmarks share: the compiled `deployster serve` as a child
 * process on a free loopback port (its pid, for /proc), API calls, polling, its memory and
 * descriptors, and clean-up of what a run created (by its label, its image tags).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import type { DockerClient } from "../../src/docker/client";
import { listContainers, removeContainer } from "../../src/docker/containers";
import { removeImage, tagImage } from "../../src/docker/images";
import { freePort } from "../../test/support/registry";

export const ROOT = resolve(import.meta.dir, "../..");
export const BIN = join(ROOT, "bin/deployster");

export interface ServeProcessOptions {
  password: string;
  prefix: string;
  /** DEPLOYSTER_SERVE_LABELS: added to and required on everything this serve manages. */
  labels: string;
  args?: string[];
  env?: Record<string, string>;
  /** Listen on this port (a restarted serve keeps its address). */
  port?: number;
}

export interface ServeProcess {
  url: string;
  port: number;
  pid: number;
  proc: Subprocess;
  output(): string;
  /** An API call on a fresh connection (Connection: close), so serve keeps no client socket open. */
  call(method: string, path: string, body?: unknown): Promise<Response>;
  json<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<number>;
  kill(): Promise<void>;
}

export async function startServeProcess(o: ServeProcessOptions): Promise<ServeProcess> {
  const port = o.port ?? freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("DEPLOYSTER_")) env[k] = v;
  Object.assign(env, { DEPLOYSTER_SERVE_LABELS: o.labels }, o.env);
  const proc = Bun.spawn([BIN, "serve", "--listen", `127.0.0.1:${port}`, "--password", o.password, "--docker-hub-username", o.prefix, ...(o.args ?? [])], {
    env,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) out = (out + new TextDecoder().decode(c)).slice(-200_000);
  };
  void pump(proc.stdout as ReadableStream<Uint8Array>);
  void pump(proc.stderr as ReadableStream<Uint8Array>);
  const url = `http://127.0.0.1:${port}`;
  const authorization = `Basic ${Buffer.from(`deployster:${o.password}`).toString("base64")}`;
  const call: ServeProcess["call"] = (method, path, body) =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization, connection: "close", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  await pollUntil("deployster serve to answer", async () => {
    if (proc.exitCode !== null) throw new Error(`serve exited (${proc.exitCode}):\n${out}`);
    const r = await call("GET", "/v1/version").catch(() => undefined);
    await r?.arrayBuffer();
    return r?.ok || undefined;
  }, 30_000, 50);
  return {
    url,
    port,
    pid: proc.pid,
    proc,
    output: () => out,
    call,
    async json(method, path, body) {
      const r = await call(method, path, body);
      const text = await r.text();
      let parsed: any = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {}
      return { status: r.status, body: parsed };
    },
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 30_000);
      const code = await proc.exited;
      clearTimeout(t);
      return code;
    },
    async kill() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

/** Polls until fn returns something other than undefined; throws after timeoutMs. */
export async function pollUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${(last as Error).message})` : ""}`);
    await Bun.sleep(everyMs);
  }
}

/** Resident memory (MiB) and open descriptors of a process, from /proc. */
export function processFootprint(pid: number): { rssMiB: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return { rssMiB: kb / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** Tags `source` as `<prefix>/<service>:<version>` for each version; returns the refs (to untag). */
export async function tagVersions(d: DockerClient, source: string, prefix: string, service: string, versions: string[]): Promise<string[]> {
  for (const v of versions) await tagImage(d, source, `${prefix}/${service}`, v);
  return versions.map((v) => `${prefix}/${service}:${v}`);
}

/** Removes every container carrying `label` (k=v) and untags `refs`. */
export async function cleanUp(d: DockerClient, label: string, refs: string[]): Promise<void> {
  for (const c of await listContainers(d, { all: true, labels: [label] }).catch(() => [])) await removeContainer(d, c.Id, { force: true }).catch(() => {});
  for (const r of refs) await removeImage(d, r).catch(() => {});
}

/** A deploy timestamp (YYYY.MM.DD-hh.mm.ss) `i` seconds after a fixed base: distinct per deploy. */
export function deployTimestamp(i: number, base = Date.UTC(2030, 0, 1)): string {
  const d = new Date(base + i * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}.${p(d.getUTCMonth() + 1)}.${p(d.getUTCDate())}-${p(d.getUTCHours())}.${p(d.getUTCMinutes())}.${p(d.getUTCSeconds())}`;
}
