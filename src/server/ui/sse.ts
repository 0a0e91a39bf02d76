/**
 * GET /v1/events: the event bus as Server-Sent Events.
 *
 *   id: <n>
 *   event: deploy | instance | units | task
 *   data: {"service": "...", ...}
 *
 * A comment line (`: ping`) goes out every heartbeat so proxies and clients see a live
 * connection. The stream is pulled: while the client does not read, events wait in its
 * bounded queue on the bus, and a client that falls that far behind is dropped (its stream
 * ends; EventSource reconnects and the page reloads its snapshot). The stream also ends on
 * shutdown, so a stopping server is not held open by its watchers.
 */
import type { EventBus, ServeEvent } from "../events-bus";

export interface EventStreamOptions {
  service?: string;
  heartbeatMs?: number;
  maxQueue?: number;
  /** Ends the stream (client gone, server shutting down). */
  signal?: AbortSignal;
}

const DEFAULT_HEARTBEAT_MS = 15_000;
/** Bytes Bun may hold for a client before it stops pulling (the bus queue takes over). */
const HIGH_WATER_BYTES = 64 * 1024;

export function formatEvent(e: ServeEvent): string {
  const data = JSON.stringify({ service: e.service, ...e.data });
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${data}\n\n`;
}

export function createEventStream(bus: EventBus, o: EventStreamOptions = {}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let wake: (() => void) | undefined;
  let ended = false;
  let heartbeatDue = false;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const sub = bus.subscribe({ service: o.service, maxQueue: o.maxQueue, onEvent: poke, onDrop: () => end() });
  const timer = setInterval(() => {
    heartbeatDue = true;
    poke();
  }, o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    sub.close();
    o.signal?.removeEventListener("abort", end);
    poke();
  };
  if (o.signal?.aborted) end();
  o.signal?.addEventListener("abort", end, { once: true });

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // The reconnection delay, and a first line so the client knows it is connected.
        controller.enqueue(encoder.encode("retry: 2000\n: connected\n\n"));
      },
      async pull(controller) {
        for (;;) {
          if (ended) {
            try {
              controller.close();
            } catch {}
            return;
          }
          const events = sub.drain();
          if (events.length > 0 || heartbeatDue) {
            const text = events.map(formatEvent).join("") + (heartbeatDue && events.length === 0 ? ": ping\n\n" : "");
            heartbeatDue = false;
            controller.enqueue(encoder.encode(text));
            return;
          }
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
      cancel: () => end(),
    },
    { highWaterMark: HIGH_WATER_BYTES, size: (chunk) => chunk?.byteLength ?? 0 },
  );
}

export function eventStreamResponse(stream: ReadableStream<Uint8Array>): Response {
  return new Response(stream, {
    status: 200,
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Accel-Buffering": "no",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
