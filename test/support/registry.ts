/**
 * A throw-away Docker registry for tests: Debian's `docker-registry` (distribution 2.8) on
 * 127.0.0.1:<free port>, filesystem storage in a temp dir, optional htpasswd basic auth.
 * The engine treats 127.0.0.0/8 registries as insecure-allowed, so plain HTTP push/pull work.
 *
 *   const reg = await startRegistry({ htpasswd: { user: "u", password: "p" } });
 *   // docker push `${reg.host}/some/image:tag` ... ; await reg.stop();
 *
 * Also home of the small process helpers shared with ./caddy.ts (freePort, spawnDaemon,
 * waitUntilReady).
 */
import type { Subprocess } from "bun";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REGISTRY_BIN = "/usr/bin/docker-registry";

export interface RegistryOptions {
  /** Require basic auth with these credentials (bcrypt htpasswd file). */
  htpasswd?: { user: string; password: string };
  /** How long to wait for `GET /v2/` to answer. */
  readyTimeoutMs?: number;
}

export interface Registry {
  /** "127.0.0.1:PORT", usable as an image reference prefix. */
  host: string;
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** Kills the registry and removes its storage. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), "deployster-registry-"));
  try {
    let authBlock = "";
    let authHeader: string | undefined;
    if (options.htpasswd) {
      const { user, password } = options.htpasswd;
      const htpasswdPath = join(dir, "htpasswd");
      writeFileSync(htpasswdPath, makeHtpasswdLine(user, password));
      authBlock = `auth:\n  htpasswd:\n    realm: deployster-test\n    path: ${htpasswdPath}\n`;
      authHeader = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    }

    // The port may be taken between freePort() and the registry's bind: retry a few times.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const host = `127.0.0.1:${freePort()}`;
      const configPath = join(dir, "config.yml");
      writeFileSync(
        configPath,
        [
          "version: 0.1",
          "log:",
          "  level: warn",
          "  accesslog:",
          "    disabled: true",
          "storage:",
          "  filesystem:",
          `    rootdirectory: ${join(dir, "data")}`,
          "  delete:",
          "    enabled: true",
          "http:",
          `  addr: ${host}`,
          `  secret: ${crypto.randomUUID()}`,
          authBlock,
        ].join("\n"),
      );
      const daemon = spawnDaemon({
        cmd: [REGISTRY_BIN, "serve", configPath],
        logPath: join(dir, "registry.log"),
        // Keep REGISTRY_* overrides from the environment out of the config.
        env: Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("REGISTRY_")).map((k) => [k, undefined])),
      });
      try {
        await waitUntilReady(daemon, `docker-registry on ${host}`, async () => {
          const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2000) });
          await res.arrayBuffer();
          if (authHeader && res.status === 401) {
            // Up; make sure the credentials really work before handing it out.
            const ok = await fetch(`http://${host}/v2/`, { headers: { authorization: authHeader } });
            await ok.arrayBuffer();
            if (ok.status !== 200) throw new Error(`credentials refused (${ok.status})`);
            return true;
          }
          return res.status === 200;
        }, options.readyTimeoutMs);
      } catch (err) {
        lastError = err;
        await daemon.stop();
        continue;
      }
      let stopped = false;
      return {
        host,
        url: `http://${host}`,
        async stop() {
          if (stopped) return;
          stopped = true;
          await daemon.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    throw lastError;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** One bcrypt htpasswd line (`htpasswd -Bbn`), the only hash docker-registry accepts. */
export function makeHtpasswdLine(user: string, password: string): string {
  const res = Bun.spawnSync(["htpasswd", "-Bbn", user, password], { stdout: "pipe", stderr: "pipe" });
  if (res.exitCode !== 0) {
    throw new Error(`htpasswd -Bbn failed (${res.exitCode}): ${res.stderr.toString().trim()} (Debian package apache2-utils)`);
  }
  return `${res.stdout.toString().trim()}\n`;
}

// ---- process helpers shared with ./caddy.ts ----------------------------------------------

/**
 * A free TCP port on 127.0.0.1: bind port 0, read what the kernel chose, close.
 * Racy by nature (someone may take it before the caller binds it): callers retry.
 */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/**
 * A background process started by the test support: output goes to a log file (read back
 * when it fails), and it is SIGKILLed when the test process exits even if a test forgets
 * to stop it.
 */
export interface Daemon {
  proc: Subprocess;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
}

export interface SpawnDaemonOptions {
  cmd: string[];
  logPath: string;
  /** Added to (undefined: removed from) the test process's environment. */
  env?: Record<string, string | undefined>;
}

const runningDaemons = new Set<Subprocess>();
let exitHookInstalled = false;

export function spawnDaemon(options: SpawnDaemonOptions): Daemon {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const p of runningDaemons) {
        try {
          p.kill("SIGKILL");
        } catch {}
      }
    });
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined) env[k] = v;
  // One append-mode descriptor for both streams, so they interleave instead of overwriting.
  const fd = openSync(options.logPath, "a");
  let proc: Subprocess;
  try {
    proc = Bun.spawn(options.cmd, { env, stdin: "ignore", stdout: fd, stderr: fd });
  } finally {
    closeSync(fd);
  }
  runningDaemons.add(proc);
  proc.exited.then(() => runningDaemons.delete(proc));

  return {
    proc,
    async stop(graceMs = 5000) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
        await proc.exited;
        clearTimeout(timer);
      }
    },
    logTail(lines = 20) {
      try {
        return readFileSync(options.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "(no log)";
      }
    },
  };
}

/**
 * Polls `probe` every 100 ms until it returns true. Fails at once when the daemon exits,
 * and after timeoutMs (default 30 s); both errors carry the daemon's log tail.
 */
export async function waitUntilReady(
  daemon: Daemon,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (daemon.proc.exitCode !== null || daemon.proc.signalCode !== null) {
      throw new Error(`${what} exited (${daemon.proc.exitCode ?? daemon.proc.signalCode}) before it was ready:\n${daemon.logTail()}`);
    }
    let error: unknown;
    try {
      if (await probe()) return;
    } catch (err) {
      error = err; // not listening yet, usually
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not ready after ${timeoutMs} ms${error ? ` (${(error as Error).message})` : ""}:\n${daemon.logTail()}`);
    }
    await Bun.sleep(100);
  }
}
