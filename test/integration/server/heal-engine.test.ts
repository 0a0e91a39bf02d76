/**
 * serve when its Docker engine goes away and comes back, through the compiled binary and a
 * real Caddy. The engine is a dockerd of this test's own in a network namespace
 * (scripts/swarm-lab.sh, one plain engine): the machine's main dockerd is never stopped.
 * Instances publish on the node's address, which serve reaches with --instance-host.
 *
 * - engine gone: serve keeps running; the API answers 503 with the reason; what needs no
 *   engine (version, deploy records) still answers.
 * - engine back: serve reconnects, and every instance (all exited with their dockerd) is
 *   started again, ready and routed within 30 s of the engine's return.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCaddy, type Caddy } from "../../support/caddy";
import { startLab, type Lab } from "../../support/lab";
import { PREFIX, settled, startServe, TestScope, units, waitFor, type Serve } from "./harness";

const scope = new TestScope("heal-engine");
const SVC = "srvhealeng";
const DOMAIN = "srvtest.local";
const HOST = `${SVC}.${DOMAIN}`;
let lab: Lab;
let caddy: Caddy;
let s: Serve;
let node: string;

async function upstreams(): Promise<string[]> {
  const r = await fetch(`${caddy.adminUrl}/id/deployster-proxy-${HOST}/upstreams`);
  if (r.status !== 200) return [];
  return ((await r.json()) as { dial: string }[]).map((u) => u.dial).sort();
}

async function allServing(n: number): Promise<boolean> {
  const us = await units(s, SVC);
  const dials = us.map((u) => `${node}:${u.host_port}`).sort();
  return us.length === n && us.every((u) => u.current_state === "launched" && u.routed === true) && JSON.stringify(await upstreams()) === JSON.stringify(dials);
}

/** GET / through Caddy (to the lab's instances). */
async function viaCaddy(): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${caddy.httpPort}/`, { headers: { host: HOST }, signal: AbortSignal.timeout(10_000) });
  return `${r.status} ${(await r.text()).trim()}`;
}

beforeAll(async () => {
  lab = await startLab({ name: "heal", net: 214, nodes: 1, swarm: false });
  node = lab.nodeAddresses[0]!;
  // serve's images are <registry>/<service>:<version>: <PREFIX>/<SVC>:v1 becomes <lab registry>/<SVC>:v1.
  await scope.tag(SVC, ["v1"]);
  await lab.push(`${PREFIX}/${SVC}:v1`);
  caddy = await startCaddy();
  s = await startServe({
    scope,
    args: ["--registry-url", lab.registry, "--publish-host", node, "--instance-host", node, "--health-path", "/", "--health-timeout", "20s", "--caddy-admin", caddy.adminUrl, "--domain", DOMAIN],
    env: { DOCKER_HOST: lab.dockerHost, DEPLOYSTER_DRAIN_MS: "200" },
  });
}, 120_000);

afterAll(async () => {
  let code: number | undefined;
  try {
    code = await s?.stop();
  } finally {
    await caddy?.stop();
    await lab?.stop();
  }
  expect(await scope.cleanup()).toEqual([]);
  expect(code).toBe(0);
}, 120_000);

describe("the engine goes away and comes back", () => {
  test("a deploy on the lab engine serves through Caddy", async () => {
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", instance_count: 2 } })).status).toBe(201);
    expect((await settled(s, SVC, "v1")).state).toBe("live");
    await waitFor("both instances serving", () => allServing(2), 20_000);
    expect(await viaCaddy()).toBe("200 v1");
  }, 60_000);

  test("engine gone: 503 with the reason, nothing crashes; engine back: every instance ready and routed within 30 s", async () => {
    await lab.nodeStop(1, "TERM");
    const down = await waitFor("a 503", async () => {
      const r = await s.json("GET", `/v1/services/${SVC}/units`);
      return r.status === 503 ? r : undefined;
    }, 15_000, 100);
    expect(down.body.error).toBe("Service Unavailable");
    expect(down.body.description).toContain("cannot reach the Docker engine");
    const deploy = await s.json("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", timestamp: "2030.01.01-00.00.00" } });
    expect(deploy.status).toBe(503);
    expect((await s.call("GET", "/v1/version")).status).toBe(200);
    expect((await s.json("GET", `/v1/services/${SVC}/deploys`)).status).toBe(200);
    await Bun.sleep(3000);
    expect(s.proc.exitCode).toBeNull();

    await lab.nodeStart(1);
    const backAt = Date.now();
    await waitFor("every instance ready and routed again", () => allServing(2), 30_000, 100).catch(async (err) => {
      // What serve saw, for the next reader of a failure: units, Caddy's upstreams, serve's last lines.
      const state = JSON.stringify({ units: await units(s, SVC).catch((e) => String(e)), upstreams: await upstreams() });
      throw new Error(`${(err as Error).message}\n${state}\n${s.output().split("\n").slice(-40).join("\n")}`);
    });
    console.error(`dockerd restart: every instance ready and routed ${Date.now() - backAt} ms after the engine's return`);
    expect(await viaCaddy()).toBe("200 v1");
    expect(s.proc.exitCode).toBeNull();
    // The event stream reconnects on its own backoff (at most 2 s apart), so a heal retry can
    // have routed the instances before serve notices the engine's return and says so.
    await waitFor("serve's log: the engine answers again", async () => s.output().includes("answers again"), 10_000, 100);
  }, 120_000);
});
