import type { DockerClient } from "./client";
import type { EngineEvent } from "./types";

export interface EventsOptions {
  filters?: Record<string, string[]>;
  /** Unix seconds, optionally fractional ("1700000000.123"). */
  since?: number | string;
  until?: number | string;
  signal?: AbortSignal;
  /** Called once the engine accepted the request, before the first event. */
  onOpen?: () => void;
  /** Gives up when the engine has not answered the request within this many ms (a starting dockerd may accept and hold it). */
  openTimeoutMs?: number;
}

/** Longest line accepted from the events stream; an engine never sends more in one event. */
const MAX_LINE = 1024 * 1024;

/** Streams engine events (NDJSON) to `onEvent` until `until`, the signal, or the engine ends it. */
export async function streamEvents(d: DockerClient, opts: EventsOptions, onEvent: (ev: EngineEvent) => void): Promise<void> {
  let signal = opts.signal;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (opts.openTimeoutMs) {
    const opening = new AbortController();
    timer = setTimeout(() => opening.abort(new Error(`the engine did not answer GET /events within ${opts.openTimeoutMs} ms`)), opts.openTimeoutMs);
    signal = opts.signal ? AbortSignal.any([opts.signal, opening.signal]) : opening.signal;
  }
  let res: Response;
  try {
    res = await d.request("GET", "/events", { query: { filters: opts.filters, since: opts.since, until: opts.until }, signal, timeoutMs: 0 });
  } finally {
    clearTimeout(timer);
  }
  opts.onOpen?.();
  const decoder = new TextDecoder();
  let rest = "";
  try {
    if (!res.body) return;
    for await (const chunk of res.body) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = lines.pop() ?? "";
      if (rest.length > MAX_LINE) throw new Error(`Docker engine: an event line is longer than ${MAX_LINE} bytes`);
      for (const l of lines) if (l.trim()) onEvent(JSON.parse(l) as EngineEvent);
    }
  } catch (err) {
    if ((err as Error)?.name === "AbortError" || opts.signal?.aborted) return;
    throw err;
  }
}

export interface WatchEventsOptions extends Omit<EventsOptions, "until" | "since" | "onOpen"> {
  /**
   * Called each time the stream is (re)opened. Events that happened while it was closed are
   * not replayed: the caller re-reads the state it cares about here.
   */
  onConnect?: () => void;
  /** Called when the stream fails or ends; the watch goes on after a pause. */
  onDisconnect?: (err: unknown) => void;
  /** First and longest pause between two attempts (ms). Defaults 100 and 2000. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Watches engine events until the signal is aborted, re-opening the stream with backoff
 * (doubling from minBackoffMs to maxBackoffMs) whenever the engine ends it or cannot be
 * reached: a restarted dockerd is followed again within maxBackoffMs of its return. A
 * stream that stayed open for a while starts again from the shortest pause. Never rejects.
 */
export async function watchEvents(d: DockerClient, opts: WatchEventsOptions, onEvent: (ev: EngineEvent) => void): Promise<void> {
  const min = opts.minBackoffMs ?? 100;
  const max = opts.maxBackoffMs ?? 2000;
  let pause = min;
  while (!opts.signal?.aborted) {
    let openedAt = 0;
    try {
      const onOpen = () => {
        openedAt = Date.now();
        opts.onConnect?.();
      };
      await streamEvents(d, { filters: opts.filters, signal: opts.signal, openTimeoutMs: 5000, onOpen }, onEvent);
      if (opts.signal?.aborted) return;
      opts.onDisconnect?.(new Error("the engine ended the events stream"));
    } catch (err) {
      if (opts.signal?.aborted) return;
      opts.onDisconnect?.(err);
    }
    if (openedAt && Date.now() - openedAt > 10 * max) pause = min;
    await abortableSleep(pause, opts.signal);
    pause = Math.min(pause * 2, max);
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
