/** The event bus, observed records and the SSE stream (pure, no server). */
import { describe, expect, test } from "bun:test";
import { EventBus } from "../../../../src/server/events-bus";
import { observe } from "../../../../src/server/observe";
import type { DeployRecord } from "../../../../src/api/v1";
import { DeployLog } from "../../../../src/server/records";
import { connect } from "node:net";
import { createEventStream, eventStreamResponse, formatEvent } from "../../../../src/server/ui/sse";

const tick = () => new Promise((r) => setTimeout(r, 0));

function record(service: string, version: string): DeployRecord {
  return {
    service, version, timestamp: "2026.01.01-00.00.00", state: "rolling", instance_count: 1, destroy_previous: false,
    previous: null, rollback_of: null, started_at: "2026-01-01T00:00:00Z", finished_at: null, reason: null, log_tail: [],
    instances: [{ instance: "1", container: `${service}-${version}-1`, state: "pending", replaces: null, retired: false, reason: null }],
  };
}

describe("EventBus", () => {
  test("delivers to subscribers of the service and to those of every service, numbered in order", () => {
    const bus = new EventBus();
    const a = bus.subscribe({ service: "a" });
    const all = bus.subscribe();
    bus.publish("deploy", "a", { n: 1 });
    bus.publish("deploy", "b", { n: 2 });
    expect(a.drain().map((e) => e.data.n)).toEqual([1]);
    expect(all.drain().map((e) => [e.id, e.service])).toEqual([[1, "a"], [2, "b"]]);
    expect(all.drain()).toEqual([]);
    expect(bus.hasSubscribers("b")).toBe(true);
    all.close();
    expect(bus.hasSubscribers("b")).toBe(false);
  });

  test("takes at most maxSubscribers at once", () => {
    const bus = new EventBus(2);
    const a = bus.subscribe();
    bus.subscribe();
    expect(bus.canSubscribe()).toBe(false);
    a.close();
    expect(bus.canSubscribe()).toBe(true);
  });

  test("drops a subscriber whose queue is full, once, and keeps the others", () => {
    const bus = new EventBus();
    let drops = 0;
    const slow = bus.subscribe({ maxQueue: 3, onDrop: () => drops++ });
    const fast = bus.subscribe({ maxQueue: 3 });
    for (let i = 0; i < 10; i++) {
      bus.publish("units", "a", { i });
      fast.drain();
    }
    expect(slow.dropped).toBe(true);
    expect(slow.drain()).toEqual([]);
    expect(drops).toBe(1);
    expect(fast.dropped).toBe(false);
    expect(bus.subscriberCount).toBe(1);
  });
});

describe("observe", () => {
  test("one notification per tick for any number of nested changes; the value reads and serialises as before", async () => {
    let n = 0;
    const r = observe(record("a", "v1"), () => n++);
    r.state = "live";
    r.instances[0]!.state = "ready";
    r.instances[0]!.retired = true;
    r.log_tail = ["x"];
    expect(n).toBe(0);
    await tick();
    expect(n).toBe(1);
    r.instances[0]!.state = "ready";
    await tick();
    expect(n).toBe(1);
    expect(JSON.parse(JSON.stringify(r))).toMatchObject({ state: "live", log_tail: ["x"], instances: [{ state: "ready", retired: true }] });
  });

  test("DeployLog reports added records and every later change to them", async () => {
    const seen: string[] = [];
    const log = new DeployLog((r) => seen.push(`${r.version}:${r.state}:${r.instances[0]?.state ?? "-"}`));
    const rec = log.add(record("a", "v1"));
    await tick();
    rec.instances[0]!.state = "booting";
    await tick();
    log.settle("a", "v1", undefined, "destroyed");
    await tick();
    expect(seen).toEqual(["v1:rolling:pending", "v1:rolling:booting", "v1:destroyed:booting"]);
    expect(log.services()).toEqual(["a"]);
  });
});

async function readSome(reader: ReadableStreamDefaultReader<Uint8Array>, until: (text: string) => boolean): Promise<string> {
  let text = "";
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  return text;
}

describe("the SSE stream", () => {
  test("formats events with id, type and JSON data", () => {
    expect(formatEvent({ id: 7, type: "task", service: "a", data: { task: { exit_code: 0 } } })).toBe(
      'id: 7\nevent: task\ndata: {"service":"a","task":{"exit_code":0}}\n\n',
    );
  });

  test("streams events, sends heartbeats while idle, and ends when aborted", async () => {
    const bus = new EventBus();
    const stop = new AbortController();
    const reader = createEventStream(bus, { heartbeatMs: 30, signal: stop.signal }).getReader();
    expect(await readSome(reader, (t) => t.includes(": connected"))).toStartWith("retry: 2000\n");
    expect(await readSome(reader, (t) => t.includes(": ping"))).toContain(": ping\n\n");
    bus.publish("deploy", "a", { deploy: { state: "live" } });
    expect(await readSome(reader, (t) => t.includes("event: deploy"))).toContain('data: {"service":"a","deploy":{"state":"live"}}');
    stop.abort();
    expect((await reader.read()).done).toBe(true);
    expect(bus.subscriberCount).toBe(0);
  });

  test("a client that does not read is dropped and its stream ends", async () => {
    const bus = new EventBus();
    const stream = createEventStream(bus, { maxQueue: 5, heartbeatMs: 60_000 });
    const big = "x".repeat(20_000);
    // Nobody reads: the stream buffers up to its high-water mark, then the bus queue fills.
    for (let i = 0; i < 40; i++) {
      bus.publish("units", "a", { big, i });
      await tick();
    }
    expect(bus.subscriberCount).toBe(0);
    const reader = stream.getReader();
    let done = false;
    for (let i = 0; i < 100 && !done; i++) done = (await reader.read()).done ?? false;
    expect(done).toBe(true);
  });

  test("over real HTTP, a client that stops reading is dropped once its socket and queue are full", async () => {
    const bus = new EventBus();
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: (req) => eventStreamResponse(createEventStream(bus, { signal: req.signal })) });
    const sock = connect(server.port!, "127.0.0.1");
    try {
      sock.write("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
      sock.pause();
      for (let i = 0; i < 100 && bus.subscriberCount === 0; i++) await Bun.sleep(10);
      expect(bus.subscriberCount).toBe(1);
      const big = "x".repeat(10_000);
      let sent = 0;
      // Bounded: socket buffers + the stream's 64 KiB + the 256-event queue, far below 5,000 × 10 kB.
      for (; sent < 5000 && bus.subscriberCount > 0; sent++) {
        bus.publish("units", "a", { big, sent });
        if (sent % 10 === 0) await Bun.sleep(1);
      }
      expect(bus.subscriberCount).toBe(0);
      expect(sent).toBeLessThan(5000);
    } finally {
      sock.destroy();
      server.stop(true);
    }
  });
});
