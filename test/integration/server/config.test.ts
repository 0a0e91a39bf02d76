/**
 * serve --config-dir on the real engine, through the compiled binary: environment and a
 * secret reach instances and tasks; a changed configuration reaches the next deploy's
 * instances while the old ones keep theirs until retired; a bad line is a 400 naming
 * file:line with nothing started; the secret's value is never in `docker inspect`, the
 * logs or the API's answers; old secret directories are removed once unused.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectContainer, listContainers } from "../../../src/docker/containers";
import { launchBrowser } from "../ui/browser";
import { docker, PASSWORD, settled, startServe, TestScope, units, waitFor, type Serve } from "./harness";

const scope = new TestScope("config");
const SVC = "cfgapp";
const SECRET_V1 = "s3cret-value-one-7f2a";
const SECRET_V2 = "s3cret-value-two-91bc";
let dir: string;
let secretsRoot: string;
let s: Serve;

const sha = (t: string) => createHash("sha256").update(t).digest("hex");

async function page(u: { host_port: number | null }): Promise<string> {
  return (await fetch(`http://127.0.0.1:${u.host_port}/`)).text();
}

async function instanceContainers(): Promise<any[]> {
  return listContainers(docker, { all: true, labels: [scope.fileLabel, "deployster.component=serve-instance"] });
}

beforeAll(async () => {
  await scope.tag(SVC, ["v1", "v2"], "deployster/app-config");
  dir = mkdtempSync(join(tmpdir(), "cfgtest-dir-"));
  secretsRoot = mkdtempSync(join(tmpdir(), "cfgtest-secrets-"));
  writeFileSync(join(dir, `${SVC}.env`), `# shared\nGREETING="hello one"\n`);
  mkdirSync(join(dir, `${SVC}.secrets`));
  writeFileSync(join(dir, `${SVC}.secrets`, "api_key"), SECRET_V1);
  s = await startServe({ scope, args: ["--config-dir", dir, "--health-timeout", "20s"], env: { DEPLOYSTER_SECRETS_DIR: secretsRoot, DEPLOYSTER_DRAIN_MS: "100" } });
});

afterAll(async () => {
  expect(await s?.stop()).toBe(0);
  expect(await scope.cleanup()).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
  rmSync(secretsRoot, { recursive: true, force: true });
});

test("instances start with the environment, the facts and the secret; units and records show the digest", async () => {
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", instance_count: 2, timestamp: "2026.01.01-00.00.01" } })).status).toBe(201);
  const rec = await settled(s, SVC, "v1");
  expect(rec.state).toBe("live");
  const us = await units(s, SVC);
  expect(us).toHaveLength(2);
  const text = await page(us[0]!);
  expect(text).toContain("GREETING=hello one\n");
  expect(text).toContain(`DEPLOYSTER_SERVICE=${SVC}\n`);
  expect(text).toContain("DEPLOYSTER_VERSION=v1\n");
  expect(text).toContain("DEPLOYSTER_TIMESTAMP=2026.01.01-00.00.01\n");
  expect(text).toMatch(/DEPLOYSTER_INSTANCE=[12]\n/);
  expect(text).toContain("DEPLOYSTER_HOST_IP=127.0.0.1\n");
  expect(text).toContain("DEPLOYSTER_PORT=3000\n");
  // The host port was chosen before the start, so the instance knows where it is reached.
  expect(text).toContain(`DEPLOYSTER_PUBLISHED_PORT=${us[0]!.host_port}\n`);
  expect(text).toContain(`secret:api_key:${sha(SECRET_V1)}\n`);
  const cfg = await s.json("GET", `/v1/services/${SVC}/config?version=v1`);
  expect(cfg.status).toBe(200);
  expect(cfg.body.config.variables.map((v: any) => v.name)).toEqual(["GREETING"]);
  expect(cfg.body.config.secrets.map((v: any) => [v.name, v.path])).toEqual([["api_key", "/run/secrets/api_key"]]);
  for (const u of us as any[]) {
    expect(u.config_digest).toBe(cfg.body.config.digest);
    expect(u.config_current).toBe(true);
  }
  expect(rec.config_digest).toBe(cfg.body.config.digest);
  // The secret files: a private root (0700), the mounted directory read-only in the container.
  const c = (await inspectContainer(docker, us[0]!.container_id))!;
  const mount = c.Mounts.find((m) => m.Destination === "/run/secrets")!;
  expect(mount.RW).toBe(false);
  expect(mount.Source!.startsWith(secretsRoot)).toBe(true);
  expect(statSync(join(mount.Source!, "..", "..")).mode & 0o777).toBe(0o700);
  expect(c.Config.Labels!["deployster.config-digest"]).toBe(cfg.body.config.digest);
}, 90_000);

test("a changed configuration: the next deploy's instances see it, the old ones kept theirs until retired", async () => {
  const before = await units(s, SVC);
  writeFileSync(join(dir, `${SVC}.env`), "GREETING='hello two'\n");
  writeFileSync(join(dir, `${SVC}.v2.env`), "EXTRA=1\n");
  writeFileSync(join(dir, `${SVC}.secrets`, "api_key"), SECRET_V2);
  // The running instances are now behind the configuration, and still show the old values.
  const stale = (await units(s, SVC)) as any[];
  expect(stale.every((u) => u.config_current === false)).toBe(true);
  expect(await page(before[0]!)).toContain(`secret:api_key:${sha(SECRET_V1)}\n`);
  expect(await page(before[0]!)).toContain("GREETING=hello one\n");

  // Deploy v2 alongside (no destroy_previous): both versions run, each with its own configuration.
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v2", instance_count: 1 } })).status).toBe(201);
  expect((await settled(s, SVC, "v2")).state).toBe("live");
  const all = (await units(s, SVC)) as any[];
  const v2 = all.find((u) => u.version === "v2");
  const text = await page(v2);
  expect(text).toContain("GREETING=hello two\n");
  expect(text).toContain(`secret:api_key:${sha(SECRET_V2)}\n`);
  expect(v2.config_current).toBe(true);
  for (const old of all.filter((u) => u.version === "v1")) {
    expect(await page(old)).toContain(`secret:api_key:${sha(SECRET_V1)}\n`);
    expect(old.config_digest).not.toBe(v2.config_digest);
  }
  // The status page shows which configuration each instance runs, and whether it is current.
  const b = await launchBrowser({ username: "deployster", password: PASSWORD, width: 1280, height: 800 });
  try {
    await b.page.goto(`${s.url}/`);
    const cell = (u: any) => `[data-service="${SVC}"] [data-unit="${u.container_name}"] [data-label="Config"]`;
    await b.page.waitForSelector(cell(v2));
    expect(await b.page.locator(cell(v2)).innerText()).toBe(v2.config_digest.slice(0, 8));
    const old = all.find((u) => u.version === "v1");
    expect(await b.page.locator(cell(old)).innerText()).toBe(`${old.config_digest.slice(0, 8)} stale`);
    expect(b.errors).toEqual([]);
  } finally {
    await b.close();
  }
  const svcDir = () => readdirSync(join(secretsRoot, readdirSync(secretsRoot)[0]!, SVC)).filter((n) => !n.startsWith("."));
  expect(svcDir()).toHaveLength(2);

  // A task of v1 gets v1's configuration as it is now (the new secret), with the task facts.
  const task = await s.call("POST", `/v1/services/${SVC}/tasks`, {
    task: { version: "v1", command: "echo G=$GREETING E=${EXTRA-none} V=$DEPLOYSTER_VERSION; sha256sum /run/secrets/api_key" },
  });
  expect(task.status).toBe(200);
  const out = await task.text();
  expect(out).toContain("G=hello two E=none V=v1\n");
  expect(out).toContain(sha(SECRET_V2));

  // Retiring v1 (destroy) removes its secret directory: the old secret is gone from the host.
  expect((await s.call("DELETE", `/v1/services/${SVC}/deploys/v1`)).status).toBe(204);
  expect(svcDir()).not.toContain(all.find((u) => u.version === "v1").config_digest);
  // The task's own directory goes once its container is gone (the next prune: here another task's end).
  await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v2", command: "sleep 1" } }).then((r) => r.text());
  await waitFor("only v2's secret directory", async () => JSON.stringify(svcDir()) === JSON.stringify([v2.config_digest]), 10_000);
}, 120_000);

test("a bad line: 400 naming file and line, nothing started; tasks refuse too", async () => {
  const badFile = join(dir, `${SVC}.v1.env`);
  writeFileSync(badFile, `OK=1\nAPI_TOKEN="${SECRET_V2}\\q"\n`);
  const countBefore = (await instanceContainers()).length;
  const r = await s.json("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1" } });
  expect(r.status).toBe(400);
  expect(r.body.description).toContain(`${badFile}:2: `);
  expect(JSON.stringify(r.body)).not.toContain(SECRET_V2);
  expect((await instanceContainers()).length).toBe(countBefore);
  expect((await s.json("GET", `/v1/services/${SVC}/deploys/v1`)).body.deploy?.state).not.toBe("rolling");
  const t = await s.json("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "true" } });
  expect(t.status).toBe(400);
  expect(t.body.description).toContain(`${badFile}:2: `);
  const c = await s.json("GET", `/v1/services/${SVC}/config?version=v1`);
  expect(c.status).toBe(400);
  rmSync(badFile);
});

test("the secret is never in docker inspect's env, the labels, the logs or the API's answers", async () => {
  const [u] = (await units(s, SVC)) as any[];
  const c = (await inspectContainer(docker, u.container_id))!;
  const inspected = JSON.stringify(c);
  for (const secret of [SECRET_V1, SECRET_V2]) {
    expect(inspected).not.toContain(secret);
    expect(s.output()).not.toContain(secret);
    for (const path of ["/units", "/deploys", "/config", "/config?version=v2"]) {
      expect(await (await s.call("GET", `/v1/services/${SVC}${path}`)).text()).not.toContain(secret);
    }
  }
  const logs = await docker.request("GET", `/containers/${u.container_id}/logs`, { query: { stdout: 1, stderr: 1 } });
  expect(Buffer.from(await logs.arrayBuffer()).toString("latin1")).not.toContain(SECRET_V2);
  expect(c.Config.Env!.some((e: string) => e.startsWith("GREETING="))).toBe(true);
  expect(existsSync(join(dir, `${SVC}.secrets`, "api_key"))).toBe(true);
});

test("a rollback reads the configuration again; a restarted server rebuilds the digests and prunes stale secrets", async () => {
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", destroy_previous: true } })).status).toBe(201);
  expect((await settled(s, SVC, "v1")).state).toBe("live");
  writeFileSync(join(dir, `${SVC}.env`), "GREETING=hello-three\n");
  expect((await s.call("POST", `/v1/services/${SVC}/rollback`)).status).toBe(201);
  await waitFor("v2 back, alone", async () => {
    const us = await units(s, SVC);
    return us.length === 1 && us[0]!.version === "v2" && us[0]!.current_state === "launched";
  }, 60_000, 200);
  const [back] = (await units(s, SVC)) as any[];
  expect(await page(back)).toContain("GREETING=hello-three\n");
  expect(back.config_current).toBe(true);

  // A stale directory (as a server that stopped mid-way would leave) goes at the next start.
  expect(await s.stop()).toBe(0);
  const scopeDir = join(secretsRoot, readdirSync(secretsRoot)[0]!, SVC);
  mkdirSync(join(scopeDir, "deadbeefdeadbeef"));
  s = await startServe({ scope, args: ["--config-dir", dir], env: { DEPLOYSTER_SECRETS_DIR: secretsRoot } });
  expect(readdirSync(scopeDir).sort()).toEqual([back.config_digest]);
  const rec = (await s.json("GET", `/v1/services/${SVC}/deploys/v2`)).body.deploy;
  expect(rec.config_digest).toBe(back.config_digest);
}, 150_000);
