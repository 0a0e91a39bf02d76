/**
 * serve --swarm --config-dir on a 3-node Swarm lab (scripts/swarm-lab.sh), through the
 * compiled binary: environment, instance facts and a secret (a Docker secret named by its
 * content digest) reach instances and tasks; a changed configuration reaches the next
 * deploy (the secret rotated, the old one removed once unused); a bad line is a 400 with
 * file:line and no service created; the secret's value is never in the service spec, the
 * logs or the API's answers. Requests to the lab go out on the lab's link only (curl
 * --interface), and the lab's unreachable route keeps them on this machine.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLab, type Lab } from "../../support/lab";
import { tagImage } from "../../../src/docker/images";
import { docker, settled, startServe, TestScope, units, waitFor, type Serve } from "../server/harness";

const scope = new TestScope("swarmcfg");
const SVC = "cfgswarm";
const SECRET_V1 = "swarm-s3cret-one-4c1d";
const SECRET_V2 = "swarm-s3cret-two-8e3f";
let lab: Lab;
let dir: string;
let s: Serve;

const sha = (t: string) => createHash("sha256").update(t).digest("hex");

/** GET / of an instance, on the lab's link only. */
async function page(machineId: string, port: number | null): Promise<string> {
  const nodes = await lab.docker.json<any[]>("GET", "/nodes");
  const addr = nodes.find((n) => n.ID === machineId)?.Status?.Addr;
  if (!addr || !port) throw new Error(`no address for ${machineId}:${port}`);
  const p = Bun.spawn(["curl", "-sS", "--max-time", "5", "--interface", lab.link, `http://${addr}:${port}/`], { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  if (code !== 0) throw new Error(`curl exited ${code}`);
  return out;
}

async function secretNames(): Promise<string[]> {
  const list = await lab.docker.json<any[]>("GET", "/secrets", { query: { filters: { label: ["deployster.component=serve-secret"] } } });
  return list.map((x) => x.Spec.Name).sort();
}

beforeAll(async () => {
  // Pushed as <lab registry>/<service>:<version> (the lab names an image by its last path part).
  for (const v of ["v1", "v2"]) {
    await tagImage(docker, `deployster/app-config:${v}`, `swcfgtest/${SVC}`, v);
    scope.track(`swcfgtest/${SVC}:${v}`);
  }
  lab = await startLab({ name: "cfg", net: 217 });
  await lab.push(`swcfgtest/${SVC}:v1`, `swcfgtest/${SVC}:v2`);
  dir = mkdtempSync(join(tmpdir(), "swcfg-dir-"));
  writeFileSync(join(dir, `${SVC}.env`), "GREETING=hello-one\n");
  mkdirSync(join(dir, `${SVC}.secrets`));
  writeFileSync(join(dir, `${SVC}.secrets`, "api_key"), SECRET_V1);
  s = await startServe({
    scope,
    args: ["--swarm", "--registry-url", lab.registry, "--config-dir", dir, "--health-timeout", "20s", "--task-timeout", "20s"],
    env: { DOCKER_HOST: lab.dockerHost, DEPLOYSTER_DRAIN_MS: "100" },
  });
}, 180_000);

afterAll(async () => {
  if (s) expect(await s.stop()).toBe(0);
  await lab?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  expect(await scope.cleanup()).toEqual([]);
}, 180_000);

test("instances start with the environment, the facts and the secret (a Docker secret named by its digest)", async () => {
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", instance_count: 2 } })).status).toBe(201);
  expect((await settled(s, SVC, "v1", 60_000)).state).toBe("live");
  const us = (await units(s, SVC)) as any[];
  expect(us).toHaveLength(2);
  const text = await page(us[0].machine_id, us[0].host_port);
  expect(text).toContain("GREETING=hello-one\n");
  expect(text).toContain(`DEPLOYSTER_SERVICE=${SVC}\n`);
  expect(text).toContain("DEPLOYSTER_VERSION=v1\n");
  expect(text).toContain(`DEPLOYSTER_NODE_ID=${us[0].machine_id}\n`);
  expect(text).toContain(`secret:api_key:${sha(SECRET_V1)}\n`);
  const cfg = (await s.json("GET", `/v1/services/${SVC}/config?version=v1`)).body.config;
  expect(us.every((u) => u.config_digest === cfg.digest && u.config_current === true)).toBe(true);
  expect(await secretNames()).toEqual([`${SVC}-api_key-${cfg.secrets[0].digest}`]);
}, 90_000);

test("a changed configuration rolls out with the next deploy; the old secret goes once unused; tasks get it too", async () => {
  const before = (await units(s, SVC)) as any[];
  writeFileSync(join(dir, `${SVC}.env`), "GREETING=hello-two\n");
  writeFileSync(join(dir, `${SVC}.secrets`, "api_key"), SECRET_V2);
  expect(((await units(s, SVC)) as any[]).every((u) => u.config_current === false)).toBe(true);
  // The old instances keep what they started with.
  expect(await page(before[0].machine_id, before[0].host_port)).toContain(`secret:api_key:${sha(SECRET_V1)}\n`);
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v2", destroy_previous: true } })).status).toBe(201);
  expect((await settled(s, SVC, "v2", 60_000)).state).toBe("live");
  const us = (await units(s, SVC)) as any[];
  expect(us.map((u) => u.version)).toEqual(["v2", "v2"]);
  const text = await page(us[0].machine_id, us[0].host_port);
  expect(text).toContain("GREETING=hello-two\n");
  expect(text).toContain(`secret:api_key:${sha(SECRET_V2)}\n`);
  const cfg = (await s.json("GET", `/v1/services/${SVC}/config?version=v2`)).body.config;
  await waitFor("only the new secret", async () => JSON.stringify(await secretNames()) === JSON.stringify([`${SVC}-api_key-${cfg.secrets[0].digest}`]), 20_000, 500);

  const task = await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v2", command: "echo G=$GREETING V=$DEPLOYSTER_VERSION; sha256sum /run/secrets/api_key" } });
  expect(task.status).toBe(200);
  const out = await task.text();
  expect(out).toContain("G=hello-two V=v2\n");
  expect(out).toContain(sha(SECRET_V2));
  expect(out).toEndWith("\nExited (0) \n");
}, 120_000);

test("a bad line: 400 naming file and line, no service created", async () => {
  const bad = join(dir, `${SVC}.v1.env`);
  writeFileSync(bad, `A=1\nB=2\nC='${SECRET_V2}\n`);
  const servicesBefore = (await lab.docker.json<any[]>("GET", "/services")).length;
  const r = await s.json("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", destroy_previous: true } });
  expect(r.status).toBe(400);
  expect(r.body.description).toContain(`${bad}:3: `);
  expect(JSON.stringify(r.body)).not.toContain(SECRET_V2);
  expect((await lab.docker.json<any[]>("GET", "/services")).length).toBe(servicesBefore);
  rmSync(bad);
});

test("the secret is never in the service spec, the logs or the API's answers", async () => {
  const services = await lab.docker.json<any[]>("GET", "/services", { query: { filters: { label: [scope.fileLabel] } } });
  expect(services.length).toBeGreaterThan(0);
  const spec = JSON.stringify(services);
  expect(spec).toContain("GREETING=hello-two");
  for (const secret of [SECRET_V1, SECRET_V2]) {
    expect(spec).not.toContain(secret);
    expect(s.output()).not.toContain(secret);
    for (const path of ["/units", "/deploys", "/config?version=v2"]) {
      expect(await (await s.call("GET", `/v1/services/${SVC}${path}`)).text()).not.toContain(secret);
    }
  }
});
