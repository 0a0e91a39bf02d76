/**
 * serve heals what breaks after a deploy went live, through the compiled binary and a real
 * Caddy on the main engine: a `docker kill`ed instance is unrouted at once, started again
 * and routed again once ready (its record says so; units never call it launched while it
 * is dead), and a Caddy restarted with its initial configuration gets its routes back
 * within 5 s, and an instance whose HEALTHCHECK turns unhealthy is restarted the same way.
 * (A restarted or missing dockerd: heal-engine.test.ts, on a lab engine.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCaddy, type Caddy } from "../../support/caddy";
import { docker, deployRecord, settled, startServe, TestScope, units, waitFor, type Serve } from "./harness";
import { startLoad } from "./load";

const scope = new TestScope("heal");
const SVC = "srvheal";
const DOMAIN = "srvtest.local";
const HOST = `${SVC}.${DOMAIN}`;
let caddy: Caddy;
let s: Serve;

async function upstreams(): Promise<string[]> {
  const r = await fetch(`${caddy.adminUrl}/id/deployster-proxy-${HOST}/upstreams`);
  if (r.status !== 200) return [];
  return ((await r.json()) as { dial: string }[]).map((u) => u.dial).sort();
}

async function viaCaddy(): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${caddy.httpPort}/`, { headers: { host: HOST } });
  return `${r.status} ${(await r.text()).trim()}`;
}

/** Every unit launched and routed, and the router holds exactly their ports. */
async function allServing(n: number): Promise<boolean> {
  const us = await units(s, SVC);
  const dials = us.map((u) => `127.0.0.1:${u.host_port}`).sort();
  return us.length === n && us.every((u) => u.current_state === "launched" && u.routed === true) && JSON.stringify(await upstreams()) === JSON.stringify(dials);
}

beforeAll(async () => {
  await scope.tag(SVC, ["v1", "healthcheck"]);
  caddy = await startCaddy();
  s = await startServe({ scope, args: ["--caddy-admin", caddy.adminUrl, "--domain", DOMAIN, "--health-timeout", "10s"], env: { DEPLOYSTER_DRAIN_MS: "200" } });
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", instance_count: 2 } })).status).toBe(201);
  expect((await settled(s, SVC, "v1")).state).toBe("live");
  await waitFor("both instances serving", () => allServing(2), 20_000);
});

afterAll(async () => {
  let code: number | undefined;
  try {
    code = await s?.stop();
  } finally {
    await caddy?.stop();
  }
  expect(await scope.cleanup()).toEqual([]);
  expect(code).toBe(0);
});

describe("healing", () => {
  test("docker kill of a live instance: unrouted at once, restarted, routed again once ready; the record says what happened", async () => {
    const before = await units(s, SVC);
    const victim = before[0]!;
    const load = startLoad({ port: caddy.httpPort, host: HOST, expect: ["v1"], concurrency: 3 });
    await Bun.sleep(300);
    const killedAt = Date.now();
    await docker.call("POST", `/containers/${victim.container_id}/kill`, { query: { signal: "SIGKILL" } });
    const killDone = Date.now();
    // Dead: out of the router within a moment, and never reported launched.
    await waitFor("the dead instance to leave the router", async () => !(await upstreams()).includes(`127.0.0.1:${victim.host_port}`), 3000, 10);
    const unroutedMs = Date.now() - killedAt;
    const states: string[] = [];
    await waitFor("the instance to serve again", async () => {
      const u = (await units(s, SVC)).find((x) => x.container_id === victim.container_id);
      if (u) states.push(`${(u as any).container_state}/${u.current_state}/${u.routed}`);
      return allServing(2);
    }, 20_000, 50);
    const healedMs = Date.now() - killedAt;
    await Bun.sleep(300);
    const stats = await load.stop();
    console.error(`kill: unrouted after ${unroutedMs} ms, serving again after ${healedMs} ms; load ${stats.total} requests, ${stats.failed} failed, ${stats.retried} retried`);
    if (stats.failed) console.error(JSON.stringify(stats.failures.slice(0, 5)), `killed at ${killedAt}`);
    // The same container came back (restarted, not replaced), on a new host port.
    const after = await units(s, SVC);
    const back = after.find((u) => u.container_id === victim.container_id)!;
    expect(back.current_state).toBe("launched");
    expect(back.routed).toBe(true);
    // While its container was not running it was never reported launched (nor routed).
    expect(states.filter((x) => !x.startsWith("running/")).every((x) => /\/inactive\/false$|\/loaded\/false$/.test(x))).toBe(true);
    expect(states.every((x) => !x.endsWith("/true") || x.startsWith("running/launched/"))).toBe(true);
    const rec = await deployRecord(s, SVC, "v1");
    expect(rec.state).toBe("live");
    const entry = rec.instances.find((i: any) => i.container === victim.container_name);
    expect(entry.state).toBe("ready");
    expect(entry.reason).toContain("exited with code 137");
    expect(entry.reason).toContain("restarted");
    // No request sent after the kill fails: the dead instance is out of the router at once,
    // and Caddy retries elsewhere. (One that was mid-response when SIGKILL hit cannot be saved.)
    expect(stats.failures.filter((f) => f.at >= killDone)).toEqual([]);
    expect(stats.failed).toBeLessThanOrEqual(1);
    expect(s.proc.exitCode).toBeNull();
  }, 60_000);

  test("Caddy restarted with its initial configuration: the routes are back within 5 s", async () => {
    expect(await viaCaddy()).toBe("200 v1");
    const restartedAt = Date.now();
    // SIGKILL and a fresh start from the initial file: the routes serve added are gone.
    await caddy.restart();
    await waitFor("the routes to come back", () => allServing(2), 5000, 50);
    console.error(`caddy restart: routes back ${Date.now() - restartedAt} ms after the kill`);
    expect(await viaCaddy()).toBe("200 v1");
  }, 30_000);

  test("an instance whose HEALTHCHECK turns unhealthy is unrouted, restarted, and routed again once healthy", async () => {
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "healthcheck", destroy_previous: true } })).status).toBe(201);
    expect((await settled(s, SVC, "healthcheck")).state).toBe("live");
    await waitFor("both healthcheck instances serving", () => allServing(2), 20_000);
    const victim = (await units(s, SVC))[1]!;
    // The app keeps running; only its health endpoint goes (start.sh writes it again on a restart).
    const exec = Bun.spawnSync(["docker", "exec", victim.container_id, "rm", "/www/health"]);
    expect(exec.exitCode).toBe(0);
    await waitFor("the unhealthy instance to leave the router", async () => !(await upstreams()).includes(`127.0.0.1:${victim.host_port}`), 15_000, 50);
    await waitFor("the instance to serve again", () => allServing(2), 20_000, 100);
    const rec = await deployRecord(s, SVC, "healthcheck");
    const entry = rec.instances.find((i: any) => i.container === victim.container_name);
    expect(entry.state).toBe("ready");
    expect(entry.reason).toContain("turned unhealthy");
    expect(entry.reason).toContain("restarted");
    // Restarted, not replaced: the same container serves again.
    expect((await units(s, SVC)).some((u) => u.container_id === victim.container_id && u.current_state === "launched" && u.routed)).toBe(true);
    expect(await viaCaddy()).toBe("200 healthcheck");
  }, 60_000);
});
