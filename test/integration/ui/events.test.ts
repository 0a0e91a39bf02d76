/**
 * GET /v1/events through the compiled binary on the real engine: authenticated, a deploy's
 * progress arrives as deploy and units events, a silent watcher outlives serve's idle
 * timeout (the stream is exempt), a bad filter is a 400, and shutdown ends open streams.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { authHeader, startServe, TestScope, waitFor, type Serve } from "../server/harness";

const scope = new TestScope("ui-events");
const SVC = "uievents";
let s: Serve;

/**
 * API calls on fresh connections: with --idle-timeout 1s serve closes idle keep-alive
 * connections, and a pooled one may be reset under the client.
 */
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: authHeader() };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${s.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), keepalive: false });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

interface SseEvent {
  type: string;
  data: any;
}

/** Reads a fetch body as SSE until `until` says enough (or the stream ends). */
async function collect(res: Response, until: (events: SseEvent[]) => boolean): Promise<{ events: SseEvent[]; ended: boolean }> {
  const reader = res.body!.getReader();
  const events: SseEvent[] = [];
  let buf = "";
  for (;;) {
    // A stream cut by the server's exit may end with a reset rather than its last chunk.
    const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
    if (done) return { events, ended: true };
    buf += new TextDecoder().decode(value);
    for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const type = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (type && data) events.push({ type, data: JSON.parse(data) });
    }
    if (until(events)) {
      reader.cancel().catch(() => {});
      return { events, ended: false };
    }
  }
}

beforeAll(async () => {
  await scope.tag(SVC, ["v1"]);
  s = await startServe({ scope, args: ["--idle-timeout", "1s", "--health-timeout", "10s"], env: { DEPLOYSTER_DRAIN_MS: "0" } });
});

afterAll(async () => {
  expect(await s?.stop()).toBe(0);
  expect(await scope.cleanup()).toEqual([]);
});

describe("GET /v1/events", () => {
  test("needs credentials; a bad service filter is a 400", async () => {
    const anon = await fetch(`${s.url}/v1/events`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toBe('Basic realm="Deployster"');
    const bad = await api("GET", "/v1/events?service=..%2Fetc");
    expect(bad.status).toBe(400);
  });

  test("a watcher silent for longer than the idle timeout still receives a deploy's progress", async () => {
    const res = await fetch(`${s.url}/v1/events?service=${SVC}`, { headers: { authorization: authHeader() }, keepalive: false });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    // --idle-timeout is 1s (Bun checks idle sockets on a coarse timer, so a connection that
    // is not exempt is closed within ~4-8 s) and heartbeats come every 15 s: only the
    // exemption keeps this one open through 10 s of silence.
    await Bun.sleep(10_000);
    expect((await api("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", instance_count: 2 } })).status).toBe(201);
    const { events, ended } = await collect(res, (es) =>
      es.some((e) => e.type === "units" && e.data.units.length === 2 && e.data.units.every((u: any) => u.ready)) &&
      es.some((e) => e.type === "deploy" && e.data.deploy.state === "live"),
    );
    expect(ended).toBe(false);
    const deploys = events.filter((e) => e.type === "deploy").map((e) => e.data.deploy);
    expect(deploys.every((d) => d.service === SVC && d.version === "v1")).toBe(true);
    // The per-instance steps were published as they happened, not only the end.
    const steps = new Set(deploys.flatMap((d) => d.instances.map((i: any) => `${i.instance}:${i.state}`)));
    expect([...steps]).toEqual(expect.arrayContaining(["1:booting", "1:ready", "2:booting", "2:ready"]));
    await waitFor("v1 live", async () => (await api("GET", `/v1/services/${SVC}/deploys/v1`)).body?.deploy?.state === "live");
  }, 60_000);

  test("GET /v1/services and /v1/tasks give the page's snapshot", async () => {
    const r = await api("GET", "/v1/services");
    expect(r.status).toBe(200);
    const mine = r.body.services.find((x: any) => x.service === SVC);
    expect(mine.units.map((u: any) => `${u.version}:${u.current_state}`)).toEqual(["v1:launched", "v1:launched"]);
    expect(mine.units[0].address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Date.parse(mine.units[0].created_at)).toBeGreaterThan(Date.now() - 120_000);
    expect(mine.deploys[0].state).toBe("live");
    expect((await api("GET", "/v1/tasks")).body).toEqual({ tasks: [] });
  });

  test("shutdown ends open streams and serve exits 0", async () => {
    // No pooled connection: with --idle-timeout 1s, serve closes idle keep-alive connections.
    const res = await fetch(`${s.url}/v1/events`, { headers: { authorization: authHeader() }, keepalive: false });
    expect(res.status).toBe(200);
    const reading = collect(res, () => false);
    await Bun.sleep(200);
    // Destroy first so the clean-up has nothing running to stop.
    expect((await api("DELETE", `/v1/services/${SVC}/deploys/v1`)).status).toBe(204);
    expect(await s.stop()).toBe(0);
    const { events, ended } = await reading;
    expect(ended).toBe(true);
    expect(events.some((e) => e.type === "instance" && e.data.change === "retired")).toBe(true);
  }, 60_000);
});
