/** Small helpers shared by the benchmarks: timing and medians. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

export function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

export function ratio(a: number, b: number): string {
  return (a / b).toFixed(2);
}

/**
 * A `poll(what, fn, timeoutMs = 120 s, everyMs)` that calls `fn` every `everyMs` until it
 * resolves to something other than undefined (a rejection counts as not yet), or throws
 * "timed out waiting for <what>".
 */
export function pollEvery(defaultEveryMs: number) {
  return async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000, everyMs = defaultEveryMs): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(everyMs);
    }
  };
}
