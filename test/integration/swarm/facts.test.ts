/**
 * Instance facts on Swarm (3-node lab, compiled binary, real Caddy): serve chooses each
 * instance's node and host port, so DEPLOYSTER_HOST_IP is its node's lab address and
 * DEPLOYSTER_PUBLISHED_PORT the port the router reaches it on; a port found taken on the
 * chosen node (by a container Swarm does not know) and a killed node's dockerd move the
 * instance, and the moved instance's facts are true for its new node. Requests to the lab
 * go out on the lab's link only (curl --interface); the lab's unreachable route keeps
 * them on this machine.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { tagImage } from "../../../src/docker/images";
import { startCaddy, type Caddy } from "../../support/caddy";
import { startLab, type Lab } from "../../support/lab";
import { docker, settled, startServe, TestScope, type Serve, type UnitJson, units, waitFor } from "../server/harness";

const scope = new TestScope("swarmfacts");
const SVC = "sfxapp";
const DOMAIN = "facts.test";
const HOST = `${SVC}.${DOMAIN}`;
/** Two host ports per node: few enough that the test knows which ones it must block. */
const PORTS = [30100, 30101];
let lab: Lab;
let caddy: Caddy;
let s: Serve;

async function nodes(): Promise<{ id: string; addr: string; role: string; n: number }[]> {
  const list = await lab.docker.json<any[]>("GET", "/nodes");
  return list
    .map((x) => ({ id: String(x.ID), addr: String(x.Status.Addr), role: String(x.Spec.Role), n: lab.nodeAddresses.indexOf(x.Status.Addr) + 1 }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The `docker` CLI against lab node n's own engine. */
async function onNode(n: number, ...args: string[]): Promise<string> {
  const host = lab.dockerHost.replace(/n1\.sock$/, `n${n}.sock`);
  const p = Bun.spawn(["docker", ...args], { env: { ...process.env, DOCKER_HOST: host }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`docker ${args.join(" ")} on node ${n}: ${err}`);
  return out;
}

/** What an instance says it started with (GET / of the app-config fixture), on the lab's link only. */
async function facts(dial: string): Promise<Record<string, string>> {
  const p = Bun.spawn(["curl", "-sS", "--max-time", "5", "--interface", lab.link, `http://${dial}/`], { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  if (code !== 0) throw new Error(`curl ${dial} exited ${code}`);
  return Object.fromEntries(out.split("\n").filter((l) => l.startsWith("DEPLOYSTER_")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

/** A rollout's end; on anything but live, its reason and serve's log are printed (to see why). */
async function expectLive(version: string, timeoutMs: number): Promise<void> {
  const rec = await settled(s, SVC, version, timeoutMs);
  if (rec.state !== "live") console.log(`${version}: ${rec.state}: ${rec.reason}\n${s.output()}`);
  expect(rec.state).toBe("live");
}

async function upstreams(): Promise<string[]> {
  const r = await fetch(`${caddy.adminUrl}/id/deployster-proxy-${HOST}/upstreams`);
  if (r.status === 404) return [];
  return ((await r.json()) as { dial: string }[]).map((u) => u.dial).sort();
}

/** `count` launched, routed units of `version` (none on `avoid`), the router holding exactly their dials. */
async function serving(version: string, count: number, avoid?: string): Promise<UnitJson[] | undefined> {
  const us = await units(s, SVC);
  if (us.length !== count || !us.every((u) => u.version === version && u.current_state === "launched" && u.routed && u.machine_id !== avoid)) return undefined;
  const addr = new Map((await nodes()).map((n) => [n.id, n.addr]));
  const dials = us.map((u) => `${addr.get(u.machine_id)}:${u.host_port}`).sort();
  return JSON.stringify(await upstreams()) === JSON.stringify(dials) ? us : undefined;
}

/** Every unit's facts name its own node's lab address and the port the router dials it at. */
async function expectTrueFacts(us: UnitJson[]): Promise<void> {
  const byId = new Map((await nodes()).map((n) => [n.id, n.addr]));
  const routed = await upstreams();
  for (const u of us) {
    const addr = byId.get(u.machine_id)!;
    expect(lab.nodeAddresses).toContain(addr);
    const f = await facts(`${addr}:${u.host_port}`);
    expect(f.DEPLOYSTER_HOST_IP).toBe(addr);
    expect(f.DEPLOYSTER_PUBLISHED_PORT).toBe(String(u.host_port));
    expect(f.DEPLOYSTER_NODE_ID).toBe(u.machine_id);
    expect(routed).toContain(`${f.DEPLOYSTER_HOST_IP}:${f.DEPLOYSTER_PUBLISHED_PORT}`);
  }
}

beforeAll(async () => {
  for (const v of ["v1", "v2"]) {
    await tagImage(docker, `deployster/app-config:${v}`, `sfxtest/${SVC}`, v);
    scope.track(`sfxtest/${SVC}:${v}`);
  }
  lab = await startLab({ name: "sfx", net: 218 });
  await lab.push(`sfxtest/${SVC}:v1`, `sfxtest/${SVC}:v2`);
  caddy = await startCaddy();
  s = await startServe({
    scope,
    args: ["--swarm", "--registry-url", lab.registry, "--caddy-admin", caddy.adminUrl, "--domain", DOMAIN, "--health-timeout", "40s"],
    env: { DOCKER_HOST: lab.dockerHost, DEPLOYSTER_SWARM_PORTS: `${PORTS[0]}-${PORTS[1]}`, DEPLOYSTER_SWARM_WATCH_MS: "500", DEPLOYSTER_DRAIN_MS: "100" },
  });
}, 180_000);

afterAll(async () => {
  if (s) expect(await s.stop()).toBe(0);
  await caddy?.stop();
  await lab?.stop();
  expect(await scope.cleanup()).toEqual([]);
}, 180_000);

test("both ports taken on the nodes serve tries first: the instance moves on until a free one, and says where it runs", async () => {
  // On an empty cluster serve tries the nodes in ID order: block every port of the range
  // on the first two (plain containers, which Swarm's own port check does not see).
  const [a, b, c] = await nodes();
  const image = `${lab.registry}/${SVC}:v1`;
  for (const n of [a!, b!]) {
    await onNode(n.n, "run", "-d", "--name", `sfx-block-${n.n}`, ...PORTS.flatMap((p) => ["-p", `${p}:3000`]), image);
  }
  try {
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", instance_count: 1 } })).status).toBe(201);
    await expectLive("v1", 90_000);
    const us = await waitFor("1 routed unit", () => serving("v1", 1), 30_000, 200);
    expect(us[0]!.machine_id).toBe(c!.id);
    await expectTrueFacts(us);
    expect(s.output()).toContain(`is taken on node ${a!.id}; moved to node`);
  } finally {
    for (const n of [a!, b!]) await onNode(n.n, "rm", "-f", `sfx-block-${n.n}`).catch(() => "");
  }
}, 120_000);

test("two instances: DEPLOYSTER_HOST_IP is each one's node address, DEPLOYSTER_PUBLISHED_PORT the port the router reaches it on", async () => {
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v2", instance_count: 2, destroy_previous: true } })).status).toBe(201);
  await expectLive("v2", 60_000);
  const us = await waitFor("2 routed units", () => serving("v2", 2), 30_000, 200);
  expect(new Set(us.map((u) => u.machine_id)).size).toBe(2);
  await expectTrueFacts(us);
}, 90_000);

test("a node's dockerd killed: its instance is re-placed, and its facts name the new node", async () => {
  const us = await units(s, SVC);
  const worker = (await nodes()).find((n) => n.role === "worker" && us.some((u) => u.machine_id === n.id))!;
  expect(worker).toBeDefined();
  await lab.nodeStop(worker.n, "KILL");
  try {
    const moved = await waitFor("2 routed units off the dead node", () => serving("v2", 2, worker.id), 90_000, 250);
    await expectTrueFacts(moved);
    const addrs = moved.map((u) => u.machine_id);
    expect(addrs).not.toContain(worker.id);
    expect(s.output()).toContain(`node ${worker.id} is down or drained; moved to node`);
  } finally {
    await lab.nodeStart(worker.n);
  }
}, 150_000);
