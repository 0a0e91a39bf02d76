/**
 * Plumbing of the serve integration tests: the compiled binary, a real `deployster serve`
 * on a free loopback port, API calls, image tags per test file, and clean-up by label.
 *
 * Isolation from the other areas' tests running on the same engine: every container the
 * servers create carries `deployster.test=server` and a per-file label (through
 * DEPLOYSTER_SERVE_LABELS, which serve adds to and requires on everything it manages),
 * services are named per file, and images are re-tagged under the `srvtest` prefix.
 */
import type { Subprocess } from "bun";
import { removeImage, tagImage } from "../../../src/docker/images";
import { docker, leftovers, removeByLabel, requireDocker } from "../../support/docker";
import { freePort } from "../../support/registry";
import { BIN, ensureBinary, ROOT } from "../../support/binary";

export { BIN, ensureBinary, ROOT };

export const PASSWORD = "server-test-password";
/** This test process's run id: part of every file label and image prefix, so concurrent runs never touch each other's containers or tags. */
const RUN = Math.random().toString(36).slice(2, 8);
/**
 * Image prefix of the test servers: a registry on a closed loopback port, so that a version
 * that does not exist locally makes the engine try 127.0.0.1 (refused at once), never a
 * registry on the internet (an unqualified `srvtest/x` would be looked up on Docker Hub).
 */
export const PREFIX = `127.0.0.1:9/srvtest${RUN}`;
export const AREA_LABEL = "deployster.test=server";



export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("DEPLOYSTER_")) env[k] = v;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** One test file's scope: its label, its service names, its image tags. */
export class TestScope {
  readonly fileLabel: string;
  private tags: string[] = [];

  constructor(readonly file: string) {
    // Per run, not only per file: two checkouts running the suite on one engine never see,
    // adopt or clean up each other's containers (serve acts only on its own scope labels).
    this.fileLabel = `deployster.test.file=${file}.${RUN}`;
  }

  get serveLabels(): string {
    return `${AREA_LABEL},${this.fileLabel}`;
  }

  /** Tags deployster/app:<v> (or `from`) as srvtest/<service>:<v>. */
  async tag(service: string, versions: string[], from = "deployster/app"): Promise<void> {
    for (const v of versions) {
      await tagImage(docker, `${from}:${v}`, `${PREFIX}/${service}`, v);
      this.tags.push(`${PREFIX}/${service}:${v}`);
    }
  }

  async tagAs(source: string, service: string, version: string): Promise<void> {
    await tagImage(docker, source, `${PREFIX}/${service}`, version);
    this.tags.push(`${PREFIX}/${service}:${version}`);
  }

  /** An image reference to untag at the end (e.g. one the server pulled). */
  track(ref: string): void {
    this.tags.push(ref);
  }

  async cleanup(): Promise<string[]> {
    await removeByLabel(this.fileLabel);
    for (const t of this.tags) await removeImage(docker, t).catch(() => {});
    const left = await leftovers(this.fileLabel);
    return [...left.containers, ...left.networks, ...left.volumes];
  }
}

export interface Serve {
  url: string;
  port: number;
  proc: Subprocess;
  /** stdout + stderr so far. */
  output(): string;
  call(method: string, path: string, body?: unknown, init?: RequestInit & { auth?: string | null }): Promise<Response>;
  json<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; res: Response }>;
  /** SIGTERM and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
  kill(): Promise<void>;
}

export interface StartServeOptions {
  scope: TestScope;
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Wait for this long for /v1/version. */
  readyTimeoutMs?: number;
}

export function authHeader(user = "deployster", password = PASSWORD): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

export async function startServe(o: StartServeOptions): Promise<Serve> {
  await requireDocker();
  const bin = await ensureBinary();
  let lastErr = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    let out = "";
    const proc = Bun.spawn(
      [bin, "serve", "--listen", `127.0.0.1:${port}`, "--password", PASSWORD, ...registryArgs(o.args ?? []), ...(o.args ?? [])],
      { env: cleanEnv({ DEPLOYSTER_SERVE_LABELS: o.scope.serveLabels, ...o.env }), stdout: "pipe", stderr: "pipe", stdin: "ignore" },
    );
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const c of s) out += new TextDecoder().decode(c);
    };
    void pump(proc.stdout as ReadableStream<Uint8Array>);
    void pump(proc.stderr as ReadableStream<Uint8Array>);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + (o.readyTimeoutMs ?? 20_000);
    let up = false;
    while (Date.now() < deadline && proc.exitCode === null) {
      try {
        const r = await fetch(`${url}/v1/version`, { headers: { authorization: authHeader() } });
        await r.arrayBuffer();
        if (r.status === 200) {
          up = true;
          break;
        }
      } catch {}
      await Bun.sleep(50);
    }
    if (!up) {
      proc.kill("SIGKILL");
      await proc.exited;
      lastErr = out;
      continue;
    }
    const call: Serve["call"] = (method, path, body, init = {}) => {
      const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
      if (init.auth !== null) headers.authorization = init.auth ?? authHeader();
      if (body !== undefined) headers["content-type"] ??= "application/json";
      return fetch(`${url}${path}`, { ...init, method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
    };
    return {
      url,
      port,
      proc,
      output: () => out,
      call,
      async json(method, path, body) {
        const res = await call(method, path, body);
        const text = await res.text();
        let parsed: any = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {}
        return { status: res.status, body: parsed, res };
      },
      async stop(signal = "SIGTERM") {
        if (proc.exitCode === null) proc.kill(signal);
        const t = setTimeout(() => proc.kill("SIGKILL"), 60_000);
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
  throw new Error(`deployster serve did not come up:\n${lastErr}`);
}

/** Polls until fn returns a truthy value (returned), or fails after timeoutMs with `what`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${(last as Error).message})` : ""}`);
    await Bun.sleep(everyMs);
  }
}

export interface UnitJson {
  service: string;
  instance: string;
  version: string;
  current_state: string;
  desired_state: string;
  machine_id: string;
  deploy_timestamp: string;
  container_id: string;
  container_name: string;
  host_port: number | null;
  routed: boolean | null;
  ready: boolean;
}

export async function units(s: Serve, service: string): Promise<UnitJson[]> {
  const r = await s.json<{ units: UnitJson[] }>("GET", `/v1/services/${service}/units`);
  if (r.status !== 200) throw new Error(`units: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.units;
}

export async function deployRecord(s: Serve, service: string, version: string, timestamp?: string): Promise<any> {
  const r = await s.json("GET", `/v1/services/${service}/deploys/${version}${timestamp ? `?timestamp=${timestamp}` : ""}`);
  return r.status === 200 ? r.body.deploy : undefined;
}

/** Waits until the deploy is no longer rolling; returns its record. */
export async function settled(s: Serve, service: string, version: string, timeoutMs = 90_000): Promise<any> {
  return waitFor(`${service} ${version} to settle`, async () => {
    const d = await deployRecord(s, service, version);
    return d && d.state !== "rolling" ? d : undefined;
  }, timeoutMs, 200);
}

export { docker };

/** `--registry-url PREFIX` unless the test names its own registry or prefix. */
function registryArgs(args: string[]): string[] {
  return args.includes("--registry-url") || args.includes("--docker-hub-username") ? [] : ["--registry-url", PREFIX];
}
