/**
 * A bounded load generator for the zero-downtime checks: `concurrency` workers send GET /
 * to 127.0.0.1:<port> with `Host: <host>` (through Caddy) back to back, with a small pause,
 * until stopped. A failure is a network error, a non-200, or a body outside `expect`.
 *
 * Like Go's net/http client, curl and browsers, it retries a GET once when the keep-alive
 * connection it reused was closed before any response arrived (Caddy closes idle client
 * connections whenever its configuration changes; RFC 9112 §9.3.1 allows the retry of an
 * idempotent request then). Those are counted as `retried`, never hidden: a reset after
 * the response started, a 502, a wrong body or a second reset all count as failures.
 */
export interface LoadSample {
  at: number;
  ok: boolean;
  body: string;
  status: number;
  error?: string;
}

export interface LoadStats {
  total: number;
  failed: number;
  /** Requests resent once after their idle keep-alive connection was closed (see above). */
  retried: number;
  failures: LoadSample[];
  /** Response bodies (trimmed) by count. */
  bodies: Record<string, number>;
  samples: LoadSample[];
}

export interface LoadOptions {
  port: number;
  host: string;
  concurrency?: number;
  pauseMs?: number;
  /** Acceptable bodies (trimmed); anything else counts as a failure. */
  expect?: string[];
  timeoutMs?: number;
}

export interface Load {
  stop(): Promise<LoadStats>;
  /** Samples so far (for "after the rollout" checks). */
  samples: LoadSample[];
}

export function startLoad(o: LoadOptions): Load {
  const samples: LoadSample[] = [];
  let running = true;
  let retried = 0;
  const url = `http://127.0.0.1:${o.port}/`;
  const worker = async () => {
    while (running) {
      const at = Date.now();
      try {
        const send = () => fetch(url, { headers: { host: o.host }, signal: AbortSignal.timeout(o.timeoutMs ?? 15_000) });
        let res: Response;
        try {
          res = await send();
        } catch (err) {
          if (!/ECONNRESET|closed unexpectedly/i.test(String((err as Error)?.message))) throw err;
          retried++;
          res = await send();
        }
        const body = (await res.text()).trim();
        const ok = res.status === 200 && (!o.expect || o.expect.includes(body));
        samples.push({ at, ok, body, status: res.status });
      } catch (err) {
        samples.push({ at, ok: false, body: "", status: 0, error: (err as Error).message });
      }
      await Bun.sleep(o.pauseMs ?? 5);
    }
  };
  const workers = Array.from({ length: o.concurrency ?? 4 }, worker);
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(workers);
      const failures = samples.filter((s) => !s.ok);
      const bodies: Record<string, number> = {};
      for (const s of samples) bodies[s.body] = (bodies[s.body] ?? 0) + 1;
      return { total: samples.length, failed: failures.length, retried, failures: failures.slice(0, 20), bodies, samples };
    },
  };
}
