/**
 * Routes and pulls serve does not own, on the real engine and a real Caddy: a route the
 * user wrote for <service>.<domain> is never shadowed (the deploy fails with the reason and
 * the user's route keeps answering), while other services are still routed in front of a
 * catch-all; a pull from a registry that never answers ends at --pull-timeout, and a task
 * client that disconnects during the pull ends the pull.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { startCaddy, type Caddy } from "../../support/caddy";
import { settled, startServe, TestScope, units, waitFor, type Serve } from "./harness";

const scope = new TestScope("router-guard");
const DOMAIN = "guard.local";
const MINE = "srvrgmine";
const OTHER = "srvrgother";
let caddy: Caddy;
let s: Serve;

const routes = async (): Promise<any[]> => (await (await fetch(`${caddy.adminUrl}/config/apps/http/servers/srv0/routes`)).json()) as any[];
const viaCaddy = async (host: string) => {
  const r = await fetch(`http://127.0.0.1:${caddy.httpPort}/`, { headers: { host } });
  return `${r.status} ${(await r.text()).trim()}`;
};

beforeAll(async () => {
  await scope.tag(MINE, ["v1"]);
  await scope.tag(OTHER, ["v1"]);
  caddy = await startCaddy();
  // The user's own configuration: a route for MINE's host, and a catch-all.
  const userRoute = { match: [{ host: [`${MINE}.${DOMAIN}`] }], handle: [{ handler: "static_response", body: "user route" }], terminal: true };
  const catchAll = { handle: [{ handler: "static_response", body: "catch-all" }] };
  for (const r of [userRoute, catchAll]) {
    const res = await fetch(`${caddy.adminUrl}/config/apps/http/servers/srv0/routes`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(r) });
    expect(res.status).toBe(200);
  }
  s = await startServe({ scope, args: ["--caddy-admin", caddy.adminUrl, "--domain", DOMAIN, "--health-timeout", "20s"] });
});

afterAll(async () => {
  expect(await s?.stop()).toBe(0);
  await caddy?.stop();
  expect(await scope.cleanup()).toEqual([]);
});

describe("Caddy routes", () => {
  test("a user's route for the same host is not shadowed: the deploy fails with the reason", async () => {
    expect((await s.call("POST", `/v1/services/${MINE}/deploys`, { deploy: { version: "v1" } })).status).toBe(201);
    const rec = await settled(s, MINE, "v1");
    expect(rec.state).toBe("failed");
    expect(rec.reason).toContain(`Caddy already has a route for ${MINE}.${DOMAIN} that deployster did not create`);
    expect(await viaCaddy(`${MINE}.${DOMAIN}`)).toBe("200 user route");
    const rs = await routes();
    expect(rs.length).toBe(2);
    expect(rs[0].handle[0].body).toBe("user route");
    expect(await units(s, MINE)).toEqual([]);
  });

  test("another service is routed in front of the catch-all", async () => {
    expect((await s.call("POST", `/v1/services/${OTHER}/deploys`, { deploy: { version: "v1" } })).status).toBe(201);
    expect((await settled(s, OTHER, "v1")).state).toBe("live");
    expect(await viaCaddy(`${OTHER}.${DOMAIN}`)).toBe("200 v1");
    expect(await viaCaddy(`${MINE}.${DOMAIN}`)).toBe("200 user route");
    expect(await viaCaddy(`nothing.${DOMAIN}`)).toBe("200 catch-all");
    expect((await s.call("DELETE", `/v1/services/${OTHER}/deploys/v1`)).status).toBe(204);
  });
});

/** A "registry" on 127.0.0.1 that accepts connections and never answers. */
function startSilentRegistry(): { listener: TCPSocketListener<undefined>; open: Set<Socket<undefined>>; accepted: () => number } {
  const open = new Set<Socket<undefined>>();
  let accepted = 0;
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (sock) => {
        open.add(sock);
        accepted++;
      },
      data() {},
      close: (sock) => void open.delete(sock),
      error: (sock) => void open.delete(sock),
    },
  });
  return { listener, open, accepted: () => accepted };
}

describe("pulls", () => {
  let registry: ReturnType<typeof startSilentRegistry>;
  let pulling: Serve;
  beforeAll(async () => {
    registry = startSilentRegistry();
    pulling = await startServe({ scope, args: ["--registry-url", `127.0.0.1:${registry.listener.port}`, "--pull-timeout", "4s", "--max-tasks", "1"] });
  });
  afterAll(async () => {
    expect(await pulling?.stop()).toBe(0);
    for (const sock of registry.open) sock.end();
    registry.listener.stop(true);
  });

  test("--pull-timeout: a task whose pull hangs gets a 500 with the reason", async () => {
    const t0 = Date.now();
    const res = await pulling.call("POST", "/v1/services/srvrgpull/tasks", { task: { version: "v1", command: "echo never" } });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("took longer than 4s (--pull-timeout)");
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(registry.accepted()).toBeGreaterThan(0);
  }, 60_000);

  test("a client that disconnects during the pull ends the task at once (its --max-tasks slot is free again)", async () => {
    const before = registry.accepted();
    const abort = new AbortController();
    const req = pulling.call("POST", "/v1/services/srvrgpull/tasks", { task: { version: "v2", command: "echo never" } }, { signal: abort.signal }).catch(() => undefined);
    await waitFor("the engine to reach the registry", async () => registry.accepted() > before, 20_000);
    abort.abort();
    await req;
    // Well before the 4 s pull timeout would have ended it.
    await waitFor("the task to end", async () => pulling.output().includes("ended before it started: the client disconnected during the pull"), 2_000, 50);
    const next = await pulling.call("POST", "/v1/services/srvrgpull/tasks", { task: { version: "v3", command: "echo never" } });
    expect(next.status).toBe(500);
    expect(await next.text()).toContain("--pull-timeout");
  }, 60_000);
});
