/**
 * Zero-downtime rollouts through a real Caddy (decisions 3, 4, 5, 8), under load from a
 * bounded load generator on 127.0.0.1: a 3-instance v1→v2 rollout with zero failed
 * requests and only v2 answering afterwards; failed rollouts (never ready, exits at once,
 * unhealthy HEALTHCHECK) that leave the old version serving with zero failed requests and
 * a failure record with the reason and the last log lines; HEALTHCHECK readiness;
 * rollback; deploy records that survive a restart; destroy through the router.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCaddy, type Caddy } from "../../support/caddy";
import { deployRecord, settled, startServe, TestScope, units, waitFor, type Serve } from "./harness";
import { startLoad } from "./load";

const scope = new TestScope("rollout");
const SVC = "srvroll";
const DOMAIN = "srvtest.local";
const HOST = `${SVC}.${DOMAIN}`;
let caddy: Caddy;
let s: Serve;

const serveArgs = () => ["--caddy-admin", caddy.adminUrl, "--domain", DOMAIN, "--health-timeout", "8s"];

async function upstreams(): Promise<string[]> {
  const r = await fetch(`${caddy.adminUrl}/id/deployster-proxy-${HOST}/upstreams`);
  if (r.status === 404) return [];
  return ((await r.json()) as { dial: string }[]).map((u) => u.dial).sort();
}

async function viaCaddy(): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${caddy.httpPort}/`, { headers: { host: HOST } });
  return `${r.status} ${(await r.text()).trim()}`;
}

beforeAll(async () => {
  await scope.tag(SVC, ["v1", "v2", "v3", "never-ready", "exits", "healthcheck", "unhealthy"]);
  caddy = await startCaddy();
  s = await startServe({ scope, args: serveArgs() });
});

afterAll(async () => {
  expect(await s?.stop()).toBe(0);
  await caddy?.stop();
  expect(await scope.cleanup()).toEqual([]);
});

describe("rollouts through Caddy", () => {
  test("v1: 3 ready instances become the upstreams of <service>.<domain>", async () => {
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", instance_count: 3 } })).status).toBe(201);
    expect((await settled(s, SVC, "v1")).state).toBe("live");
    const us = await units(s, SVC);
    expect(us.map((u) => `${u.version}:${u.current_state}:${u.routed}`)).toEqual(["v1:launched:true", "v1:launched:true", "v1:launched:true"]);
    expect(await upstreams()).toEqual(us.map((u) => `127.0.0.1:${u.host_port}`).sort());
    expect(await viaCaddy()).toBe("200 v1");
  });

  test("v1→v2 under load: zero failed requests, then only v2 answers", async () => {
    const load = startLoad({ port: caddy.httpPort, host: HOST, expect: ["v1", "v2"] });
    await Bun.sleep(500);
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v2", destroy_previous: true } })).status).toBe(201);
    const rec = await settled(s, SVC, "v2");
    const liveAt = Date.now();
    await Bun.sleep(1000);
    const stats = await load.stop();
    if (stats.failed) console.error("failed requests:", JSON.stringify(stats.failures, null, 1));
    console.error(`v1→v2 under load: ${stats.total} requests, ${stats.failed} failed, ${stats.retried} retried on a closed keep-alive connection, bodies ${JSON.stringify(stats.bodies)}`);
    expect(rec.state).toBe("live");
    expect(rec.instances.map((i: any) => `${i.instance}:${i.state}:${i.retired}`)).toEqual(["1:ready:true", "2:ready:true", "3:ready:true"]);
    expect(stats.failures).toEqual([]);
    expect(stats.failed).toBe(0);
    expect(stats.bodies.v1).toBeGreaterThan(0);
    expect(stats.bodies.v2).toBeGreaterThan(0);
    const after = stats.samples.filter((x) => x.at > liveAt);
    expect(after.length).toBeGreaterThan(10);
    expect(after.every((x) => x.body === "v2")).toBe(true);
    const us = await units(s, SVC);
    expect(us.map((u) => `${u.version}:${u.current_state}:${u.routed}`)).toEqual(["v2:launched:true", "v2:launched:true", "v2:launched:true"]);
    expect(await upstreams()).toEqual(us.map((u) => `127.0.0.1:${u.host_port}`).sort());
    expect((await deployRecord(s, SVC, "v1")).state).toBe("destroyed");
  }, 120_000);

  test("a version that never gets ready: removed, v2 keeps serving with zero failed requests, failure recorded", async () => {
    const before = await upstreams();
    const load = startLoad({ port: caddy.httpPort, host: HOST, expect: ["v2"] });
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "never-ready", destroy_previous: true } })).status).toBe(201);
    const rec = await settled(s, SVC, "never-ready");
    const stats = await load.stop();
    console.error(`never-ready under load: ${stats.total} requests, ${stats.failed} failed, ${stats.retried} retried`);
    expect(stats.failures).toEqual([]);
    expect(stats.total).toBeGreaterThan(20);
    expect(rec.state).toBe("failed");
    expect(rec.reason).toContain("was not ready after 8s");
    expect(rec.reason).toContain("nothing accepts connections on port 3000");
    expect(rec.log_tail).toContain("waiting for a database that never comes");
    expect(rec.instances.every((i: any) => i.state === "failed" && !i.retired)).toBe(true);
    const us = await units(s, SVC);
    expect(us.map((u) => u.version)).toEqual(["v2", "v2", "v2"]);
    expect(await upstreams()).toEqual(before);
  }, 120_000);

  test("a version that exits at once fails fast with its last log lines", async () => {
    const t0 = Date.now();
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "exits", destroy_previous: true } })).status).toBe(201);
    const rec = await settled(s, SVC, "exits");
    expect(Date.now() - t0).toBeLessThan(7_000 + 20_000);
    expect(rec.state).toBe("failed");
    expect(rec.reason).toContain("exited with code 3");
    expect(rec.log_tail).toEqual(expect.arrayContaining(["booting...", "fatal: DATABASE_URL is not set"]));
    expect((await units(s, SVC)).map((u) => u.version)).toEqual(["v2", "v2", "v2"]);
    expect(await viaCaddy()).toBe("200 v2");
  }, 60_000);

  test("an image with a HEALTHCHECK is ready only when healthy: an unhealthy one fails although its port is open", async () => {
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "unhealthy", destroy_previous: true, instance_count: 3 } })).status).toBe(201);
    const bad = await settled(s, SVC, "unhealthy");
    expect(bad.state).toBe("failed");
    expect(bad.reason).toContain("HEALTHCHECK reports unhealthy");
    expect((await units(s, SVC)).map((u) => u.version)).toEqual(["v2", "v2", "v2"]);

    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "healthcheck", destroy_previous: true } })).status).toBe(201);
    const good = await settled(s, SVC, "healthcheck");
    expect(good.state).toBe("live");
    const us = await units(s, SVC);
    expect(us.map((u) => `${u.version}:${u.current_state}`)).toEqual(["healthcheck:launched", "healthcheck:launched", "healthcheck:launched"]);
    expect(await viaCaddy()).toBe("200 healthcheck");
  }, 120_000);

  test("rollback: the previous version comes back, the current one is rolled_back", async () => {
    const res = await s.call("POST", `/v1/services/${SVC}/rollback`);
    expect(res.status).toBe(201);
    const location = res.headers.get("location")!;
    expect(location).toStartWith(`/v1/services/${SVC}/deploys/v2?timestamp=`);
    const rec = await waitFor("the rollback to settle", async () => {
      const r = await s.json("GET", location);
      return r.body.deploy.state !== "rolling" ? r.body.deploy : undefined;
    }, 90_000);
    expect(rec.state).toBe("live");
    expect(rec.rollback_of.version).toBe("healthcheck");
    expect((await deployRecord(s, SVC, "healthcheck")).state).toBe("rolled_back");
    expect((await units(s, SVC)).map((u) => u.version)).toEqual(["v2", "v2", "v2"]);
    expect(await viaCaddy()).toBe("200 v2");
  }, 120_000);

  test("deploy records survive a restart of the server", async () => {
    const before = (await s.json("GET", `/v1/services/${SVC}/deploys`)).body.deploys.map((d: any) => `${d.version}:${d.state}`);
    expect(before).toEqual(["v2:live", "healthcheck:rolled_back", "unhealthy:failed", "exits:failed", "never-ready:failed", "v2:destroyed", "v1:destroyed"]);
    expect(await s.stop()).toBe(0);
    s = await startServe({ scope, args: serveArgs() });
    const after = await waitFor("records after the restart", async () => {
      const r = await s.json("GET", `/v1/services/${SVC}/deploys`);
      return r.body.deploys.length >= before.length ? r.body.deploys : undefined;
    }, 30_000);
    expect(after.map((d: any) => `${d.version}:${d.state}`)).toEqual(before);
    expect(after.find((d: any) => d.version === "never-ready").reason).toContain("was not ready after 8s");
    // still routed, nothing was disturbed
    expect((await units(s, SVC)).every((u) => u.routed && u.current_state === "launched")).toBe(true);
    expect(await viaCaddy()).toBe("200 v2");
  }, 60_000);

  test("destroy through the router: upstreams removed, then the route, then the containers", async () => {
    const current = (await units(s, SVC))[0]!.version;
    expect((await s.call("DELETE", `/v1/services/${SVC}/deploys/${current}`)).status).toBe(204);
    expect(await units(s, SVC)).toEqual([]);
    // (a route the restarted server was re-adding at that moment is undone right after)
    await waitFor("no upstream left", async () => (await upstreams()).length === 0, 10_000);
    const routes = (await (await fetch(`${caddy.adminUrl}/config/apps/http/servers/srv0/routes`)).json()) as unknown[];
    expect(JSON.stringify(routes)).not.toContain(HOST);
  }, 60_000);
});
