/**
 * scripts/swarm-lab.sh: a 3-node Swarm comes up from nothing, runs a service on a worker from
 * an image pushed into the lab registry, and goes away leaving nothing but the unreachable
 * route for its range.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { DockerClient } from "../../../src/docker/client";
import { parseDockerHost } from "../../../src/docker/host";
import { pullImage } from "../../../src/docker/images";
import { requireDocker } from "../../support/docker";
import { runLabScript, startLab, type Lab } from "../../support/lab";

const NAME = "swlab";
const NET = 222;
let lab: Lab;

beforeAll(async () => {
  await requireDocker();
  lab = await startLab({ name: NAME, net: NET });
  console.log(`swarm lab up in ${lab.upSeconds.toFixed(1)} s`);
}, 120_000);

afterAll(async () => {
  await lab?.stop();
}, 120_000);

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** Processes whose command line mentions this lab's state directory (its dockerds). */
function labProcesses(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmd.includes(`/deployster-lab/${NAME}/`) || cmd.includes(`/run/${NAME}/`)) found.push(`${pid} ${cmd}`);
    } catch {}
  }
  return found;
}

async function fetchFromLab(url: string): Promise<Response> {
  // Bun's fetch cannot be pinned to an interface: check the lab link first (the unreachable
  // route keeps the address on this machine should it vanish in between).
  if (!linkExists(lab.link)) throw new Error(`lab link ${lab.link} is gone`);
  return fetch(url, { signal: AbortSignal.timeout(3000) });
}

test("up gives 3 Ready nodes (1 manager) and is idempotent", async () => {
  const nodes = await lab.docker.json<any[]>("GET", "/nodes");
  expect(nodes).toHaveLength(3);
  expect(nodes.map((n) => n.Status.State)).toEqual(["ready", "ready", "ready"]);
  expect(nodes.filter((n) => n.Spec.Role === "manager")).toHaveLength(1);
  expect(new Set(nodes.map((n) => n.Description.Hostname)).size).toBe(3);
  expect(new Set(nodes.map((n) => n.Status.Addr)).size).toBe(3);
  expect(nodes.map((n) => n.Status.Addr).sort()).toEqual(lab.nodeAddresses);

  const again = await lab.run("up");
  expect(again).toContain(`export DOCKER_HOST=${lab.dockerHost}`);
  expect(again).toContain(`export DEPLOYSTER_LAB_REGISTRY=${lab.registry}`);
  expect(await lab.docker.json<any[]>("GET", "/nodes")).toHaveLength(3);

  const status = await lab.run("status");
  for (const addr of lab.nodeAddresses) expect(status).toContain(addr);
  expect(status).toContain(`unreachable 10.${NET}.0.0/16 present`);
}, 60_000);

test("push copies an image into the lab registry; a worker pulls it and serves on a host-mode port", async () => {
  const pushed = await lab.push("deployster-fixture/web:1");
  expect(pushed).toEqual([`${lab.registry}/web:1`]);
  const catalog = (await (await fetchFromLab(`http://${lab.registry}/v2/_catalog`)).json()) as any;
  expect(catalog.repositories).toContain("web");

  const created = await lab.docker.json<{ ID: string }>("POST", "/services/create", {
    body: {
      Name: "lab-test-web",
      Labels: { "deployster.test": NAME },
      TaskTemplate: {
        ContainerSpec: { Image: `${lab.registry}/web:1` },
        Placement: { Constraints: ["node.role==worker"] },
        RestartPolicy: { Condition: "none" },
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishMode: "host" }] },
    },
  });
  const nodes = await lab.docker.json<any[]>("GET", "/nodes");
  const addrOf = new Map(nodes.map((n) => [n.ID, n.Status.Addr as string]));
  const workers = new Set(nodes.filter((n) => n.Spec.Role === "worker").map((n) => n.ID));

  let task: any;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const tasks = await lab.docker.json<any[]>("GET", "/tasks", {
      query: { filters: { service: [created.ID] } },
    });
    task = tasks.find((t) => t.Status.State === "running" && t.Status.PortStatus?.Ports?.length);
    if (task) break;
    const failed = tasks.find((t) => ["failed", "rejected"].includes(t.Status.State));
    if (failed) throw new Error(`task ${failed.Status.State}: ${failed.Status.Err}`);
    await Bun.sleep(200);
  }
  expect(task).toBeDefined();
  expect(workers.has(task.NodeID)).toBe(true);
  const port = task.Status.PortStatus.Ports[0].PublishedPort;
  const res = await fetchFromLab(`http://${addrOf.get(task.NodeID)}:${port}/`);
  expect((await res.text()).trim()).toBe("web 1");
  await lab.docker.call("DELETE", `/services/${created.ID}`);
}, 90_000);

/** The containerd shims of node n: pid and the socket each listens on (containerd's rule). */
function shimsOf(n: number): { pid: string; socket: string }[] {
  const out: { pid: string; socket: string }[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!argv[0]?.includes("containerd-shim")) continue;
    const arg = (k: string) => argv[argv.indexOf(k) + 1] ?? "";
    if (!arg("-address").startsWith(`/run/${NAME}/e${n}/`)) continue;
    const hash = createHash("sha256").update(`${arg("-address")}/${arg("-namespace")}/${arg("-id")}`).digest("hex");
    out.push({ pid, socket: `/run/containerd/s/${hash}` });
  }
  return out;
}

/** True once `pid` is gone or a zombie (state Z in /proc/<pid>/stat), polling until `ms` pass. */
async function diesWithin(pid: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return true;
    }
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return true;
    if (Date.now() > deadline) return false;
    await Bun.sleep(100);
  }
}

test("node-stop KILL is a crash, node-start a reboot: leftovers killed, a new dockerd, node Ready again", async () => {
  // A container on node 2, so that the crash leaves a shim (and its socket) behind.
  const node2 = new DockerClient(parseDockerHost({ DOCKER_HOST: lab.dockerHost.replace(/n1\.sock$/, "n2.sock") }));
  await pullImage(node2, `${lab.registry}/web:1`);
  const { Id } = await node2.json<{ Id: string }>("POST", "/containers/create", { body: { Image: `${lab.registry}/web:1` } });
  await node2.call("POST", `/containers/${Id}/start`);
  const shims = shimsOf(2);
  expect(shims.length).toBeGreaterThan(0);
  for (const s of shims) expect(existsSync(s.socket)).toBe(true);
  const pidOf = () => readFileSync(`/run/${NAME}/n2.pid`, "utf8").trim();
  const before = pidOf();
  await lab.nodeStop(2, "KILL");
  expect(existsSync(`/proc/${before}`)).toBe(false);
  expect(shims.every((s) => existsSync(`/proc/${s.pid}`))).toBe(true);
  await lab.nodeStart(2);
  for (const s of shims) {
    // SIGKILLed: gone, or a zombie until its parent reaps it (what PID 1 does, and when, is not ours).
    expect(await diesWithin(s.pid, 5000)).toBe(true);
    expect(existsSync(s.socket)).toBe(false);
  }
  const after = pidOf();
  expect(after).not.toBe(before);
  expect(existsSync(`/proc/${after}`)).toBe(true);
  const deadline = Date.now() + 60_000;
  let states: string[] = [];
  while (Date.now() < deadline) {
    const nodes = await lab.docker.json<any[]>("GET", "/nodes");
    states = nodes.map((n) => n.Status.State);
    if (states.every((s) => s === "ready")) break;
    await Bun.sleep(300);
  }
  expect(states).toEqual(["ready", "ready", "ready"]);
}, 90_000);

test("down removes every trace and keeps the unreachable route", async () => {
  const seconds = await lab.stop();
  console.log(`swarm lab down in ${seconds.toFixed(1)} s`);
  const netns = existsSync("/run/netns") ? readdirSync("/run/netns") : [];
  expect(netns.filter((n) => n.startsWith(`${NAME}-`))).toEqual([]);
  expect(readdirSync("/sys/class/net").filter((l) => l.startsWith(NAME))).toEqual([]);
  expect(labProcesses()).toEqual([]);
  expect(existsSync(`/var/lib/deployster-lab/${NAME}`)).toBe(false);
  expect(existsSync(`/run/${NAME}`)).toBe(false);
  const cgroups = readdirSync("/sys/fs/cgroup").flatMap((c) => {
    try {
      return readdirSync(`/sys/fs/cgroup/${c}`).filter((d) => d.startsWith(`${NAME}-`));
    } catch {
      return [];
    }
  });
  expect(cgroups).toEqual([]);
  const routes = Bun.spawnSync(["ip", "route", "show", "type", "unreachable", `10.${NET}.0.0/16`]).stdout.toString();
  expect(routes).toContain(`10.${NET}.0.0/16`);
  // `down` again on nothing is fine (idempotent teardown).
  await runLabScript(lab.env, ["down"]);
}, 120_000);
