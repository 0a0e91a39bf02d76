/**
 * The built-in types through the compiled binary: `apply` from nothing, a no-op `plan`
 * (exit 0 with --detailed-exitcode, no container run), a changed image shown field by field
 * and replaced start-first, a changed env, secrets masked in every output, bad configs
 * reported with their paths.
 *
 * Manifests go before --detailed-exitcode: the CLI takes a word after that flag as its value.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { streamEvents } from "../../../src/docker/index";
import { docker, leftovers, removeByLabel, requireDocker } from "../../support/docker";
import { ensureBinary, httpGet, ROOT, runDeployster, uniquePrefix } from "./helpers";

const P = uniquePrefix();
const RUN_LABEL = `deployster.test-run=${P}`;
const STACK = join(ROOT, "fixtures/manifests/builtin-stack/deployster.yaml");
const BAD = join(ROOT, "fixtures/manifests/builtin-bad-config/deployster.yaml");
const SECRET = "t0ken-never-shown-1";
let workspace = "";

const vars = (over: Record<string, string> = {}) =>
  Object.entries({ prefix: P, web_version: "1", log_level: "info", token: SECRET, ...over }).flatMap(([k, v]) => ["--var", `${k}=${v}`]);

function noSecret(...texts: string[]) {
  for (const t of texts) expect(t).not.toContain(SECRET);
}

/** Container `create` events while `fn` runs, for containers of this run or of the engine run. */
async function containersCreatedDuring(fn: () => Promise<{ runId?: string }>): Promise<number> {
  const seen: any[] = [];
  const ac = new AbortController();
  const done = streamEvents(docker, { filters: { type: ["container"], event: ["create"] }, signal: ac.signal }, (ev) => seen.push(ev)).catch(() => {});
  await Bun.sleep(100);
  const { runId } = await fn();
  await Bun.sleep(300);
  ac.abort();
  await done;
  return seen.filter((ev) => {
    const a = ev.Actor?.Attributes ?? {};
    return a["deployster.test-run"] === P || (runId && a["deployster.run-id"] === runId);
  }).length;
}

beforeAll(async () => {
  await requireDocker();
  ensureBinary();
  workspace = mkdtempSync(join(tmpdir(), "deployster-builtin-"));
});

afterAll(async () => {
  await removeByLabel(RUN_LABEL);
  rmSync(workspace, { recursive: true, force: true });
  expect(await leftovers(RUN_LABEL)).toEqual({ containers: [], networks: [], volumes: [] });
});

describe("deployster plan/apply with built-in types", () => {
  test("apply from nothing converges all five resources", async () => {
    const r = await runDeployster(["apply", "-y", STACK, ...vars()], workspace);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`create: create network ${P}-net (driver bridge)`);
    expect(r.out).toContain(`create and start container ${P}-web (image deployster-fixture/web:1)`);
    expect(r.out).toContain("Apply complete: 4 changed, 1 unchanged, 0 failed");
    noSecret(r.out, r.err);
    const port = (await $`docker port ${P}-front 80/tcp`.text()).trim().split("\n")[0]!.split(":").pop();
    expect((await httpGet(`http://127.0.0.1:${port}/cgi-bin/upstream`)).body).toBe("web 1");
  }, 90_000);

  test("an unchanged manifest plans nothing to do, runs no container, exit 0 with --detailed-exitcode", async () => {
    let r = { code: -1, out: "", err: "" };
    const created = await containersCreatedDuring(async () => {
      r = await runDeployster(["plan", STACK, "--json", "--detailed-exitcode", ...vars()], workspace);
      return { runId: JSON.parse(r.out).run_id };
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.resources.map((x: any) => `${x.name}:${x.status}`)).toEqual(["net:VALID", "data:VALID", "image:VALID", "web:VALID", "front:VALID"]);
    expect(created).toBe(0);
    const human = await runDeployster(["plan", STACK, ...vars()], workspace);
    expect(human.out).toContain("nothing to do");
    noSecret(r.out, r.err, human.out, human.err);
  }, 60_000);

  test("a changed image: the plan shows the field, apply replaces start-first", async () => {
    const plan = await runDeployster(["plan", STACK, "--detailed-exitcode", ...vars({ web_version: "2" })], workspace);
    expect(plan.code).toBe(2);
    expect(plan.out).toContain("recreate: recreate (start-first): image: deployster-fixture/web:1 → deployster-fixture/web:2");
    expect(plan.out).toMatch(/front\s+PENDING on web/);
    const oldPort = (await $`docker port ${P}-web 80/tcp`.text()).trim().split("\n")[0]!.split(":").pop();
    const apply = await runDeployster(["apply", "-y", STACK, ...vars({ web_version: "2" })], workspace);
    expect(apply.code).toBe(0);
    const ready = apply.out.indexOf(`container ${P}-web-next-`);
    const stopped = apply.out.indexOf("stopped and removed the old container");
    expect(ready).toBeGreaterThan(-1);
    expect(stopped).toBeGreaterThan(ready);
    expect(apply.out).toContain("env.UPSTREAM:"); // front follows web's new address
    const newPort = (await $`docker port ${P}-web 80/tcp`.text()).trim().split("\n")[0]!.split(":").pop();
    expect(newPort).not.toBe(oldPort);
    expect((await httpGet(`http://127.0.0.1:${newPort}/`)).body).toBe("web 2");
    const again = await runDeployster(["plan", STACK, "--detailed-exitcode", ...vars({ web_version: "2" })], workspace);
    expect(again.code).toBe(0);
    noSecret(plan.out, plan.err, apply.out, apply.err);
  }, 90_000);

  test("a changed env and a changed secret: field diffs, secret masked", async () => {
    const v = vars({ web_version: "2", log_level: "debug", token: `${SECRET}-rotated` });
    const plan = await runDeployster(["plan", STACK, ...v], workspace);
    expect(plan.out).toContain("env.LOG_LEVEL: info → debug");
    expect(plan.out).toContain("env.TOKEN (changed): *** → ***");
    const apply = await runDeployster(["apply", "-y", "--json", STACK, ...v], workspace);
    expect(apply.code).toBe(0);
    noSecret(plan.out, plan.err, apply.out, apply.err);
    expect((await runDeployster(["plan", STACK, "--detailed-exitcode", ...v], workspace)).code).toBe(0);
  }, 90_000);

  test("drift after docker stop and docker rm is planned and repaired", async () => {
    await $`docker stop -t 1 ${P}-front`.quiet();
    await $`docker rm -f ${P}-web`.quiet();
    const v = vars({ web_version: "2", log_level: "debug", token: `${SECRET}-rotated` });
    const plan = await runDeployster(["plan", STACK, ...v], workspace);
    expect(plan.out).toContain(`create: create and start container ${P}-web`);
    expect(plan.out).toMatch(/front\s+PENDING on web/);
    const apply = await runDeployster(["apply", "-y", STACK, ...v], workspace);
    expect(apply.code).toBe(0);
    expect((await runDeployster(["plan", STACK, "--detailed-exitcode", ...v], workspace)).code).toBe(0);
  }, 90_000);

  test("bad configs are errors with their paths; nothing is created", async () => {
    const r = await runDeployster(["plan", BAD], workspace);
    expect(r.code).toBe(1);
    const text = r.out + r.err;
    expect(text).toContain("illegal config for 'web.config': must NOT have additional properties ('enviroment')");
    expect(text).toContain("illegal config for 'web.config.ports[0]': must match pattern");
    expect(text).toContain("illegal config for 'web.config.restart'");
    expect(text).toContain("illegal config for 'web.config.healthcheck': must NOT have additional properties ('intervall')");
    expect(text).toContain("illegal config for 'net.config': must NOT have additional properties ('drivr')");
    expect(text).toContain("illegal config for 'data.config.name'");
    expect(text).toContain("illegal config for 'img.config': must have required property 'reference'");
    expect(text).toContain("illegal config for 'img.config.pull'");
  }, 30_000);
});
