/**
 * The in-process event bus of serve: the rollout, the deploy records, instance retirement and
 * tasks publish what changed; GET /v1/events streams it to each subscriber.
 *
 * Contract: publish never blocks and never throws. Each subscriber has a bounded queue; a
 * subscriber whose queue is full (a client that does not read) is dropped, with its `onDrop`
 * called once, rather than making the server hold an unbounded backlog. Events carry a
 * sequence number (the SSE `id`), increasing over the bus's lifetime.
 */

export type ServeEventType = "deploy" | "instance" | "units" | "task";

export interface ServeEvent {
  id: number;
  type: ServeEventType;
  /** The service the event is about (every event has one). */
  service: string;
  /** The payload's fields (JSON-serialisable; records are serialised as they are when sent). */
  data: Record<string, unknown>;
}

export interface SubscribeOptions {
  /** Only events of this service (all services when undefined). */
  service?: string;
  /** Queue bound; the subscriber is dropped when it would grow past this (default 256). */
  maxQueue?: number;
  /** Called once when the subscriber is dropped for being too slow. */
  onDrop?: () => void;
  /** Called after an event was queued (wakes up the reader). */
  onEvent?: () => void;
}

export interface Subscription {
  /** Takes every queued event (oldest first) and empties the queue. */
  drain(): ServeEvent[];
  readonly dropped: boolean;
  close(): void;
}

const DEFAULT_MAX_QUEUE = 256;

interface Subscriber {
  service?: string;
  queue: ServeEvent[];
  max: number;
  dropped: boolean;
  onDrop?: () => void;
  onEvent?: () => void;
}

/** Default cap on simultaneous subscribers (each is an open connection with a queue). */
export const MAX_SUBSCRIBERS = 100;

export class EventBus {
  private subscribers = new Set<Subscriber>();
  private seq = 0;
  private listeners = new Set<(e: ServeEvent) => void>();

  constructor(readonly maxSubscribers = MAX_SUBSCRIBERS) {}

  /** False when the bus has as many subscribers as it takes (the caller answers 429). */
  canSubscribe(): boolean {
    return this.subscribers.size < this.maxSubscribers;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** True when some subscriber would receive events of `service`. */
  hasSubscribers(service: string): boolean {
    for (const s of this.subscribers) if (s.service === undefined || s.service === service) return true;
    return false;
  }

  publish(type: ServeEventType, service: string, data: Record<string, unknown>): void {
    const event: ServeEvent = { id: ++this.seq, type, service, data };
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {}
    }
    for (const s of this.subscribers) {
      if (s.service !== undefined && s.service !== service) continue;
      if (s.queue.length >= s.max) {
        this.drop(s);
        continue;
      }
      s.queue.push(event);
      try {
        s.onEvent?.();
      } catch {}
    }
  }

  subscribe(o: SubscribeOptions = {}): Subscription {
    const s: Subscriber = { service: o.service, queue: [], max: o.maxQueue ?? DEFAULT_MAX_QUEUE, dropped: false, onDrop: o.onDrop, onEvent: o.onEvent };
    this.subscribers.add(s);
    return {
      drain: () => s.queue.splice(0, s.queue.length),
      get dropped() {
        return s.dropped;
      },
      close: () => {
        this.subscribers.delete(s);
        s.queue.length = 0;
      },
    };
  }

  /** In-process observers (not queued, called synchronously; e.g. the units refresher). */
  listen(fn: (e: ServeEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private drop(s: Subscriber): void {
    this.subscribers.delete(s);
    s.dropped = true;
    s.queue.length = 0;
    try {
      s.onDrop?.();
    } catch {}
  }
}
