import type { DockerClient } from "./client";

export interface EventsOptions {
  filters?: Record<string, string[]>;
  /** Unix seconds, optionally fractional ("1700000000.123"). */
  since?: number | string;
  until?: number | string;
  signal?: AbortSignal;
}

/** Streams engine events (NDJSON) to `onEvent` until `until`, the signal, or the engine ends it. */
export async function streamEvents(d: DockerClient, opts: EventsOptions, onEvent: (ev: any) => void): Promise<void> {
  const res = await d.request("GET", "/events", {
    query: { filters: opts.filters, since: opts.since, until: opts.until },
    signal: opts.signal,
    timeoutMs: 0,
  });
  const decoder = new TextDecoder();
  let rest = "";
  try {
    if (!res.body) return;
    for await (const chunk of res.body) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) if (l.trim()) onEvent(JSON.parse(l));
    }
  } catch (err) {
    if ((err as Error)?.name === "AbortError" || opts.signal?.aborted) return;
    throw err;
  }
}
