/**
 * The Swarm built-ins on the 3-node lab, through the compiled binary: an overlay network, a
 * secret, a config and two services (fixtures/manifests/swarm-stack) converge from nothing;
 * an unchanged plan is all VALID and only reads; an image change rolls start-first under
 * load with no failed request (Caddy following the host-mode ports of the running tasks); a
 * secret change rotates it and rolls both services; a broken image fails the resource and
 * the old tasks keep serving; `docker service scale` and `docker service rm` are found and
 * repaired; a global service runs everywhere, and a mode change recreates it. The lab's
 * registry requires credentials, which deployster hands to the nodes from the client config.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary, ROOT } from "../../support/binary";
import { startCaddy, type Caddy } from "../../support/caddy";
import { requireDocker } from "../../support/docker";
import { startLab, type Lab } from "../../support/lab";
import { startLoad } from "../server/load";
import { followService, readTaskEndpoints, routeTo, runBinary, startRecordingProxy, type BinaryResult } from "./support";

const LAB = { name: "svct", net: 216 };
/** The lab registry asks for credentials: the nodes pull with those of the client config deployster reads. */
const REGISTRY_AUTH = "svcuser:svcpass";
let clientEnv: Record<string, string>;
const STACK = "swt";
let lab: Lab;
let caddy: Caddy;
let ws: string;

beforeAll(async () => {
  await requireDocker();
  ensureBinary();
  ws = mkdtempSync(join(tmpdir(), "deployster-swarm-types-"));
  for (const f of ["deployster.yaml", "site.conf"]) cpSync(join(ROOT, "fixtures/manifests/swarm-stack", f), join(ws, f));
  lab = await startLab({ ...LAB, registryAuth: REGISTRY_AUTH });
  const dockerConfig = join(ws, ".docker-client");
  mkdirSync(dockerConfig);
  writeFileSync(join(dockerConfig, "config.json"), JSON.stringify({ auths: { [lab.registry]: { auth: Buffer.from(REGISTRY_AUTH).toString("base64") } } }));
  clientEnv = { DOCKER_CONFIG: dockerConfig };
  await lab.push("deployster-fixture/web:1", "deployster-fixture/web:2", "deployster/app:exits");
  caddy = await startCaddy();
}, 120_000);

afterAll(async () => {
  await caddy?.stop();
  await lab?.stop();
  if (ws) rmSync(ws, { recursive: true, force: true });
}, 120_000);

const VARS = { stack: STACK, api_image: "web:1", db_password: "s3cret-one", front_replicas: "1" };

function deployster(cmd: "plan" | "apply", vars: Partial<typeof VARS> = {}, dockerHost = lab.dockerHost, extra: string[] = []): Promise<BinaryResult> {
  const all = { ...VARS, ...vars, registry: lab.registry };
  const args = [cmd, ...(cmd === "apply" ? ["-y"] : ["--detailed-exitcode"]), ...extra];
  for (const [k, v] of Object.entries(all)) args.push("--var", `${k}=${v}`);
  return runBinary(args, ws, dockerHost, clientEnv);
}

const show = (r: BinaryResult) => `exit ${r.code}\n${r.out}\n${r.err}`;

async function service(name: string): Promise<any | null> {
  const list = await lab.docker.json<any[]>("GET", "/services", { query: { filters: { name: [name] } } });
  return list.find((s) => s.Spec.Name === name) ?? null;
}

/** `cat /run/secrets/<file>` in every running task of a service, on the node that runs it. */
async function readSecretInTasks(svc: string, file: string): Promise<string[]> {
  const [tasks, nodes] = await Promise.all([
    lab.docker.json<any[]>("GET", "/tasks", { query: { filters: { service: [svc], "desired-state": ["running"] } } }),
    lab.docker.json<any[]>("GET", "/nodes"),
  ]);
  const hostOf = new Map(nodes.map((n) => [n.ID, n.Description.Hostname as string]));
  const out: string[] = [];
  for (const t of tasks.filter((x) => x.Status.State === "running")) {
    const n = /-node(\d)$/.exec(hostOf.get(t.NodeID) ?? "")![1];
    const p = Bun.spawnSync(["docker", "-H", `unix:///run/${LAB.name}/n${n}.sock`, "exec", t.Status.ContainerStatus.ContainerID, "cat", `/run/secrets/${file}`]);
    out.push(p.stdout.toString().trim());
  }
  return out;
}

test("the stack converges from nothing; a second plan is all VALID and only reads", async () => {
  const applied = await deployster("apply");
  expect(applied.code, show(applied)).toBe(0);
  expect(applied.out).toContain("Apply complete: 5 changed");
  expect(applied.out).toContain("converged: 2/2 tasks running the new spec");
  const api = await service(`${STACK}-api`);
  expect(api.Spec.TaskTemplate.ContainerSpec.Image).toMatch(new RegExp(`^${lab.registry}/web:1@sha256:[a-f0-9]{64}$`));
  expect(api.Spec.UpdateConfig.Order).toBe("start-first");
  expect(await readTaskEndpoints(lab.docker, `${STACK}-api`)).toHaveLength(2);
  // front reaches api over the overlay (tasks.<name>, dnsrr); asked from the host through the lab link.
  const [front] = await readTaskEndpoints(lab.docker, `${STACK}-front`);
  const curl = Bun.spawnSync(["curl", "--interface", lab.link, "--noproxy", "*", "-fsS", "--max-time", "3", `http://${front}/cgi-bin/upstream`]);
  expect(curl.stdout.toString().trim()).toBe("web 1 api");

  const proxy = startRecordingProxy(join(ws, "engine.sock"), lab.dockerHost.replace(/^unix:\/\//, ""));
  try {
    const plan = await deployster("plan", {}, proxy.dockerHost);
    expect(plan.code, show(plan)).toBe(0);
    expect(plan.out).toContain("Plan: nothing to do (5 VALID)");
    expect(proxy.calls.length).toBeGreaterThan(0);
    expect(proxy.calls.filter((c) => !c.startsWith("GET ") && !c.startsWith("HEAD "))).toEqual([]);
  } finally {
    proxy.stop();
  }
}, 120_000);

test("an image change rolls start-first under load with 0 failed requests", async () => {
  const name = `${STACK}-api`;
  await routeTo(caddy.adminUrl, await readTaskEndpoints(lab.docker, name));
  const router = followService(lab.docker, caddy.adminUrl, name);
  const load = startLoad({ port: caddy.httpPort, host: "api.swarm.test", concurrency: 3, expect: ["web 1 api", "web 2 api"] });
  let applied: BinaryResult;
  let stats: Awaited<ReturnType<typeof load.stop>>;
  try {
    const plan = await deployster("plan", { api_image: "web:2" });
    expect(plan.code, show(plan)).toBe(2);
    expect(plan.out).toContain(`update (start-first): image: ${lab.registry}/web:1 → ${lab.registry}/web:2`);
    applied = await deployster("apply", { api_image: "web:2" });
    await Bun.sleep(500);
  } finally {
    stats = await load.stop();
    await router.stop();
  }
  expect(applied.code, show(applied)).toBe(0);
  const failures = stats.failures.slice(0, 3).map((f) => `${f.status} ${f.error ?? f.body}`);
  console.log(`rolling update under load: ${stats.total} requests, ${stats.failed} failed ${JSON.stringify(failures)}, ${stats.retried} resent after Caddy closed a kept-alive connection, bodies ${JSON.stringify(stats.bodies)}, ${router.changes.length} route changes`);
  expect(failures).toEqual([]);
  expect(stats.failed).toBe(0);
  expect(stats.total).toBeGreaterThan(50);
  expect(Object.keys(stats.bodies).sort()).toEqual(["web 1 api", "web 2 api"]);
}, 120_000);

test("a secret change creates a new version, rolls both services, and the old version goes", async () => {
  expect(await readSecretInTasks(`${STACK}-front`, "db_pass")).toEqual(["s3cret-one"]);
  const applied = await deployster("apply", { api_image: "web:2", db_password: "s3cret-two" });
  expect(applied.code, show(applied)).toBe(0);
  expect(applied.out).toMatch(/db_pass: create .*replaces swt-db-pass-[a-f0-9]{12}/);
  expect(applied.out).toContain("Apply complete: 3 changed");
  expect(await readSecretInTasks(`${STACK}-api`, "db_pass")).toEqual(["s3cret-two", "s3cret-two"]);
  expect(await readSecretInTasks(`${STACK}-front`, "db_pass")).toEqual(["s3cret-two"]);
  const secrets = await lab.docker.json<any[]>("GET", "/secrets");
  expect(secrets.map((s) => s.Spec.Name)).toEqual([expect.stringMatching(/^swt-db-pass-[a-f0-9]{12}$/)]);
  // The secret's value is never printed.
  expect(applied.out + applied.err).not.toContain("s3cret");
}, 120_000);

test("a broken image fails the resource with the tasks' errors; the old tasks keep serving", async () => {
  const applied = await deployster("apply", { api_image: "app:exits", db_password: "s3cret-two" });
  expect(applied.code, show(applied)).toBe(1);
  const all = applied.out + applied.err;
  expect(all).toContain("Swarm rolled the update back");
  expect(all).toContain("task: non-zero exit (3)");
  expect(all).toMatch(/front: skipped/);
  const api = await service(`${STACK}-api`);
  expect(api.Spec.TaskTemplate.ContainerSpec.Image).toContain("/web:2@");
  // A task of the broken image may still be on its way out: the old ones are those of web:2.
  const eps = await readTaskEndpoints(lab.docker, `${STACK}-api`, 80, "/web:2@");
  expect(eps).toHaveLength(2);
  for (const ep of eps) {
    const curl = Bun.spawnSync(["curl", "--interface", lab.link, "--noproxy", "*", "-sS", "--max-time", "3", `http://${ep}/`]);
    expect(`${ep} ${curl.stdout.toString().trim()} ${curl.stderr.toString().trim()}`).toBe(`${ep} web 2 api `);
  }
  await routeTo(caddy.adminUrl, eps);
  const res = await fetch(`http://127.0.0.1:${caddy.httpPort}/`, { signal: AbortSignal.timeout(5000) });
  expect(`${res.status} ${(await res.text()).trim()}`).toBe("200 web 2 api");
}, 120_000);

test("drift after docker service scale and docker service rm is found and repaired", async () => {
  const cli = (...a: string[]) => Bun.spawnSync(["docker", "-H", lab.dockerHost, ...a]);
  expect(cli("service", "scale", "-d", `${STACK}-api=3`).exitCode).toBe(0);
  expect(cli("service", "rm", `${STACK}-front`).exitCode).toBe(0);
  const vars = { api_image: "web:2", db_password: "s3cret-two" };
  const plan = await deployster("plan", vars);
  expect(plan.code, show(plan)).toBe(2);
  expect(plan.out).toContain("replicas: 3 → 2 (scaled outside deployster)");
  const applied = await deployster("apply", vars);
  expect(applied.code, show(applied)).toBe(0);
  expect(applied.out).toContain(`create service ${STACK}-front`);
  expect((await service(`${STACK}-api`)).Spec.Mode.Replicated.Replicas).toBe(2);
  expect(await readTaskEndpoints(lab.docker, `${STACK}-front`)).toHaveLength(1);
  const again = await deployster("plan", vars);
  expect(again.code, show(again)).toBe(0);
}, 120_000);

test("a global service runs one task per node; changing its mode recreates it", async () => {
  const dir = join(ws, "global");
  mkdirSync(dir);
  writeFileSync(
    join(dir, "deployster.yaml"),
    `${[
      "resources:",
      "  g:",
      "    type: deployster/docker-service",
      `    config: { name: ${STACK}-global, image: "{{ registry }}/web:1", mode: "{{ mode }}", ports: [80], converge_timeout: 60s }`,
    ].join("\n")}\n`,
  );
  const run = (cmd: string, mode: string) =>
    runBinary([cmd, ...(cmd === "apply" ? ["-y"] : ["--detailed-exitcode"]), "--var", `registry=${lab.registry}`, "--var", `mode=${mode}`], dir, lab.dockerHost, clientEnv);
  const global = await run("apply", "global");
  expect(global.code, show(global)).toBe(0);
  expect(global.out).toContain("converged: 3/3 tasks running the new spec");
  expect(await readTaskEndpoints(lab.docker, `${STACK}-global`)).toHaveLength(3);
  const replicated = await run("apply", "replicated");
  expect(replicated.code, show(replicated)).toBe(0);
  expect(replicated.out).toContain("recreate service swt-global: mode: global → replicated");
  expect(await readTaskEndpoints(lab.docker, `${STACK}-global`)).toHaveLength(1);
  const again = await run("plan", "replicated");
  expect(again.code, show(again)).toBe(0);
}, 120_000);
