/**
 * Shared plumbing of the ctl integration tests: the compiled binary (and a `deployctl`
 * symlink to it), a real `deployster serve` on a free loopback port, and per-file fixture
 * image tags. Everything the servers create carries `deployster.test=ctl` (through
 * DEPLOYSTER_SERVE_LABELS, which serve adds to and requires on its containers) plus a
 * per-file label, and each file uses its own service names (ctltest-*), so that tests of
 * other areas running at the same time are never touched.
 */
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectImage, removeImage, tagImage } from "../../../src/docker/images";
import { docker, leftovers, removeByLabel, requireDocker } from "../../support/docker";
import { BIN, ensureBinary, ROOT } from "../../support/binary";
import { freePort } from "../../support/registry";

export { freePort };

export { BIN, ensureBinary, ROOT };

export const PASSWORD = "ctl-test-password";
/** This test process's run id: part of every file label and image prefix, so concurrent runs never touch each other's containers or tags. */
const RUN = Math.random().toString(36).slice(2, 8);
/**
 * Image prefix the test servers use (serve --registry-url), so tags never clash: a registry
 * on a closed loopback port, so that pulling a version that does not exist locally is
 * refused at once on this machine instead of being looked up on Docker Hub.
 */
export const PREFIX = `127.0.0.1:9/ctltest${RUN}`;
export const AREA_LABEL = "deployster.test=ctl";
/** This test process's run id: file labels are per run, so concurrent runs never clean up each other's containers. */



/** This process's environment without any DEPLOYSTER_* variable (tests set their own). */
export function cleanEnv(): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("DEPLOYSTER_")) clean[k] = v;
  return clean;
}

export interface CtlResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `bin/deployster ctl ...` (or `argv0 ...` when given, e.g. a deployctl symlink). */
export async function runBinary(
  argv: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
): Promise<CtlResult> {
  const clean = cleanEnv();
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  const proc = Bun.spawn(argv, { env: clean, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, out, err };
}


export interface ServeOptions {
  /** Per-file label value (deployster.ctltest=<fileLabel>). */
  fileLabel: string;
  args?: string[];
  https?: boolean;
}

export interface TestServer {
  url: string;
  port: number;
  proc: ReturnType<typeof Bun.spawn>;
  logs: () => string;
  stop: () => Promise<void>;
}

/** Starts `bin/deployster serve` on a free 127.0.0.1 port and waits until it answers. */
export async function startServer(options: ServeOptions): Promise<TestServer> {
  await ensureBinary();
  const port = freePort();
  const scheme = options.https ? "https" : "http";
  const proc = Bun.spawn(
    [BIN, "serve", "--listen", `127.0.0.1:${port}`, "--password", PASSWORD, ...registryArgs(options.args ?? []), ...(options.args ?? [])],
    {
      env: { ...cleanEnv(), DEPLOYSTER_SERVE_LABELS: `${AREA_LABEL},deployster.ctltest=${options.fileLabel}.${RUN}` },
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    },
  );
  let log = "";
  const drain = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const c of s as unknown as AsyncIterable<Uint8Array>) log += dec.decode(c, { stream: true });
  };
  void drain(proc.stdout as ReadableStream<Uint8Array>);
  void drain(proc.stderr as ReadableStream<Uint8Array>);
  const url = `${scheme}://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`deployster serve exited ${proc.exitCode} at start-up:\n${log}`);
    try {
      const res = await fetch(`${url}/v1/version`, { tls: { rejectUnauthorized: false } });
      await res.text();
      break;
    } catch {
      if (Date.now() > deadline) {
        proc.kill("SIGKILL");
        throw new Error(`deployster serve did not answer on ${url} within 30s:\n${log}`);
      }
      await Bun.sleep(100);
    }
  }
  return {
    url,
    port,
    proc,
    logs: () => log,
    stop: async () => {
      if (proc.exitCode !== null) return;
      proc.kill("SIGTERM");
      const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
      if (!done) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

/**
 * Fixture images under this file's service names: `ctltest/<service>:<tag>` pointing at
 * `deployster/app:v1` etc. Built by scripts/build-fixture-images.sh when missing.
 */
export class FixtureTags {
  private readonly created: string[] = [];

  async tag(source: string, service: string, tag: string): Promise<void> {
    if (!(await inspectImage(docker, source))) {
      const p = Bun.spawnSync(["bash", join(ROOT, "scripts/build-fixture-images.sh"), "app", "app-never-ready", "app-exits", "task"], { cwd: ROOT });
      if (p.exitCode !== 0 || !(await inspectImage(docker, source)))
        throw new Error(`fixture image ${source} is missing and could not be built:\n${p.stdout}${p.stderr}`);
    }
    await tagImage(docker, source, `${PREFIX}/${service}`, tag);
    this.created.push(`${PREFIX}/${service}:${tag}`);
  }

  /** Removes only the tags this object created (the images keep their deployster/* tags). */
  async remove(): Promise<void> {
    for (const ref of this.created.splice(0)) await removeImage(docker, ref).catch(() => {});
  }
}

/** Creates a temp dir holding a `deployctl` symlink to the binary. */
export function makeDeployctlLink(): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "ctltest-"));
  const path = join(dir, "deployctl");
  symlinkSync(BIN, path);
  return { path, dir };
}

export async function cleanupFile(fileLabel: string): Promise<void> {
  await removeByLabel(`deployster.ctltest=${fileLabel}.${RUN}`);
}

export async function assertNoLeftovers(fileLabel: string): Promise<void> {
  const left = await leftovers(`deployster.ctltest=${fileLabel}.${RUN}`);
  const all = [...left.containers, ...left.networks, ...left.volumes];
  if (all.length) throw new Error(`left behind by ${fileLabel}: ${all.join(", ")}`);
}

export { requireDocker, docker };

/** `--registry-url PREFIX` unless the test names its own registry or prefix. */
function registryArgs(args: string[]): string[] {
  return args.includes("--registry-url") || args.includes("--docker-hub-username") ? [] : ["--registry-url", PREFIX];
}
