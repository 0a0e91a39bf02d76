/**
 * A throw-away Caddy for tests: Debian's `caddy run` with a temp JSON config, its own HOME
 * and XDG dirs (nothing touches /root), the admin API and one plain-HTTP server on free
 * loopback ports.
 *
 * The configuration it starts with (the serve helper adds routes to
 * `apps.http.servers.srv0.routes` through the admin API, e.g.
 * `POST {adminUrl}/config/apps/http/servers/srv0/routes` with one route object appends it):
 *
 *   {
 *     "admin":   { "listen": "127.0.0.1:<adminPort>", "config": { "persist": false } },
 *     "storage": { "module": "file_system", "root": "<tmp>/data" },
 *     "apps": { "http": { "servers": { "srv0": {
 *       "listen": ["127.0.0.1:<httpPort>"],
 *       "routes": [],
 *       "automatic_https": { "disable": true }
 *     } } } }
 *   }
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnDaemon, waitUntilReady } from "./registry";

export const CADDY_BIN = "/usr/bin/caddy";
export const CADDY_SERVER = "srv0";

export interface CaddyOptions {
  /** How long to wait for the admin API. */
  readyTimeoutMs?: number;
}

export interface Caddy {
  /** "http://127.0.0.1:PORT" (no trailing slash). */
  adminUrl: string;
  /** Port of the HTTP server srv0 on 127.0.0.1. */
  httpPort: number;
  /**
   * Kills Caddy (SIGKILL) and starts it again with its initial configuration on the same
   * ports: every route added through the admin API is gone. Resolves once it serves again.
   */
  restart(): Promise<void>;
  /** Kills Caddy and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startCaddy(options: CaddyOptions = {}): Promise<Caddy> {
  const dir = mkdtempSync(join(tmpdir(), "deployster-caddy-"));
  try {
    const home = join(dir, "home");
    const env = {
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_DATA_HOME: join(home, ".local/share"),
      XDG_CACHE_HOME: join(home, ".cache"),
    };
    for (const d of Object.values(env)) mkdirSync(d, { recursive: true });

    // Ports may be taken between freePort() and Caddy's bind: retry a few times.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const adminPort = freePort();
      const httpPort = freePort();
      if (adminPort === httpPort) continue;
      const config = {
        admin: { listen: `127.0.0.1:${adminPort}`, config: { persist: false } },
        storage: { module: "file_system", root: join(dir, "data") },
        apps: {
          http: {
            servers: {
              [CADDY_SERVER]: {
                listen: [`127.0.0.1:${httpPort}`],
                routes: [],
                automatic_https: { disable: true },
              },
            },
          },
        },
      };
      const configPath = join(dir, "caddy.json");
      writeFileSync(configPath, JSON.stringify(config, null, 2));
      const spawn = () => spawnDaemon({ cmd: [CADDY_BIN, "run", "--config", configPath], logPath: join(dir, "caddy.log"), env });
      let daemon = spawn();
      const adminUrl = `http://127.0.0.1:${adminPort}`;
      const serving = () =>
        waitUntilReady(daemon, `caddy (admin ${adminUrl})`, async () => {
          const res = await fetch(`${adminUrl}/config/`, { signal: AbortSignal.timeout(2000) });
          await res.arrayBuffer();
          if (res.status !== 200) return false;
          // The admin API comes up before the apps: wait for srv0's listener as well (with no
          // route, Caddy answers any request with an empty 200).
          const srv = await fetch(`http://127.0.0.1:${httpPort}/`, { signal: AbortSignal.timeout(2000) });
          await srv.arrayBuffer();
          return true;
        }, options.readyTimeoutMs);
      try {
        await serving();
      } catch (err) {
        lastError = err;
        await daemon.stop();
        continue;
      }
      let stopped = false;
      return {
        adminUrl,
        httpPort,
        async restart() {
          await daemon.stop(0);
          daemon = spawn();
          await serving();
        },
        async stop() {
          if (stopped) return;
          stopped = true;
          await daemon.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    throw lastError ?? new Error("caddy: could not find free ports");
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
