/**
 * deploy / list / status / destroy / rollback through the compiled binary against a real
 * serve on the real engine, one service (ctltest-deploy) taken through a whole life:
 * v1 ×2 → v2 (pairs retired) → a never-ready version (fails, v2 stays) → rollback → destroy.
 * Tests in this file run in order and build on each other.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import {
  BIN, FixtureTags, PASSWORD, type TestServer, assertNoLeftovers, cleanupFile, ensureBinary, makeDeployctlLink,
  requireDocker, runBinary, startServer,
} from "./harness";

const FILE = "deploy";
const SERVICE = "ctltest-deploy";
const tags = new FixtureTags();
let server: TestServer;
let link: { path: string; dir: string };

const TS = /\d{4}\.\d{2}\.\d{2}-\d{2}\.\d{2}\.\d{2}/.source;

beforeAll(async () => {
  await requireDocker();
  await ensureBinary();
  await tags.tag("deployster/app:v1", SERVICE, "v1");
  await tags.tag("deployster/app:v2", SERVICE, "v2");
  await tags.tag("deployster/app:v3", SERVICE, "v3");
  await tags.tag("deployster/app:never-ready", SERVICE, "never-ready");
  link = makeDeployctlLink();
  server = await startServer({ fileLabel: FILE, args: ["--health-timeout", "20s"] });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (link) rmSync(link.dir, { recursive: true, force: true });
  await cleanupFile(FILE);
  await tags.remove();
  await assertNoLeftovers(FILE);
}, 60_000);

const env = () => ({ DEPLOYSTER_URL: server.url, DEPLOYSTER_PASSWORD: PASSWORD });
const ctl = (args: string[]) => runBinary([BIN, "ctl", ...args], env());

async function units(): Promise<{ version: string; current_state: string; instance: string; deploy_timestamp: string }[]> {
  const r = await ctl(["list", SERVICE, "--json"]);
  expect(r.code).toBe(0);
  return JSON.parse(r.out).units;
}

/** Polls `list --json` until `pred` holds (retiring old instances finishes after "live"). */
async function eventually(pred: (u: Awaited<ReturnType<typeof units>>) => boolean, ms = 30_000) {
  const end = Date.now() + ms;
  let last = await units();
  while (!pred(last) && Date.now() < end) {
    await Bun.sleep(500);
    last = await units();
  }
  return last;
}

test("list before anything: deployctl's header and dash row", async () => {
  const r = await ctl(["list", SERVICE]);
  expect(r).toEqual({
    code: 0,
    err: "",
    out: "#    Version    Current state    Desired state    Machine ID    Timestamp\n-    -------    -------------    -------------    ----------    ---------\n",
  });
});

test("deploy v1 --instances 2 --wait: triggered, progress, live, exit 0", async () => {
  const r = await ctl(["deploy", SERVICE, "v1", "--instances", "2", "--wait"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  const lines = r.out.trimEnd().split("\n");
  expect(lines[0]).toBe("Deploy triggered!");
  expect(lines.at(-1)).toMatch(new RegExp(`^Deploy live: ${SERVICE} v1 \\(${TS}\\), 2/2 instances ready$`));
  for (const l of lines.slice(1, -1)) expect(l).toMatch(new RegExp(`^${SERVICE} v1 \\(${TS}\\): (rolling|live), \\d/2 instances ready$`));
}, 120_000);

test("list: one row per unit, aligned by tabwriter's rules (padding 4)", async () => {
  const r = await ctl(["l", SERVICE]);
  expect(r.code).toBe(0);
  const lines = r.out.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^# {4}Version {4}Current state {4}Desired state {4}Machine ID +Timestamp$/);
  expect(lines[1]).toMatch(/^- {4}------- {4}------------- {4}------------- {4}---------- +---------$/);
  expect(lines).toHaveLength(4);
  expect(lines[2]).toMatch(new RegExp(`^1    v1         launched         launched         \\S+    ${TS}$`));
  expect(lines[3]).toMatch(new RegExp(`^2    v1         launched         launched         \\S+    ${TS}$`));
  // columns line up: every "Timestamp" cell starts at the same offset
  const at = lines[0].indexOf("Timestamp");
  expect(lines[2].search(new RegExp(TS))).toBe(at);
});

test("status: the deploys table; status v1 --json: the server's record", async () => {
  const r = await ctl(["status", SERVICE]);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^Version +Timestamp +State +Ready +Reason\n-------/);
  expect(r.out).toMatch(new RegExp(`\\nv1 +${TS} +live +2/2 +\\n`));
  const j = await ctl(["status", SERVICE, "v1", "--json"]);
  expect(j.code).toBe(0);
  const doc = JSON.parse(j.out);
  const rec = doc.deploy ?? doc;
  expect(rec).toMatchObject({ service: SERVICE, version: "v1", state: "live" });
});

test("a 400 from the server: deployctl's three lines, exit 1", async () => {
  const r = await ctl(["deploy", SERVICE, "v2", "--instances", "1"]);
  expect(r.code).toBe(1);
  const body = JSON.stringify({
    description:
      "A greater number of instances than what was specified is already running.  Make sure this number is less than or equal to the number already running or disable destroying previous units.",
    error: "Bad Request",
  });
  expect(r.out).toMatch(/^Deploy failed :\(\n-- Response Status: 400 Bad Request\n-- Response Body: /);
  expect(r.out).toContain(body);
});

test("deploy v2 --wait: the v1 instances are retired", async () => {
  const r = await ctl(["d", SERVICE, "v2", "--wait"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(new RegExp(`\\nDeploy live: ${SERVICE} v2 \\(${TS}\\), 2/2 instances ready\\n$`));
  const left = await eventually((u) => u.every((x) => x.version === "v2"));
  expect(left.map((u) => u.version)).toEqual(["v2", "v2"]);
}, 120_000);

test("deploy a never-ready version --wait: exit 1, the reason and the instance's last log lines; v2 stays", async () => {
  const r = await ctl(["deploy", SERVICE, "never-ready", "--wait"]);
  expect(r.code).toBe(1);
  expect(r.out).toStartWith("Deploy triggered!\n");
  expect(r.out).toMatch(new RegExp(`\\nDeploy failed: ${SERVICE} never-ready \\(${TS}\\): .+\\n`));
  expect(r.out).toMatch(/\n-- Last log lines( of instance \d+)?:\n/);
  expect(r.out).toContain("   waiting for a database that never comes\n");
  const left = await eventually((u) => u.every((x) => x.version === "v2"));
  expect(left.map((u) => u.version).sort()).toEqual(["v2", "v2"]);
  const status = await ctl(["status", SERVICE, "never-ready"]);
  expect(status.code).toBe(0);
  expect(status.out).toMatch(/^Deploy: +ctltest-deploy never-ready .*\nState: +failed\nReason: +.+\n/);
}, 120_000);

test("rollback --wait: back to v1, live, exit 0", async () => {
  const r = await ctl(["rollback", SERVICE, "--wait"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(r.out).toStartWith("Rollback triggered!");
  expect(r.out).toMatch(new RegExp(`\\nDeploy live: ${SERVICE} v1 \\(${TS}\\), 2/2 instances ready\\n$`));
  const left = await eventually((u) => u.every((x) => x.version === "v1"));
  expect(left.map((u) => u.version)).toEqual(["v1", "v1"]);
}, 120_000);

test("--skip-destroy-previous and --timestamp: v3 next to v1", async () => {
  const r = await ctl(["deploy", SERVICE, "v3", "--skip-destroy-previous", "--instances", "1", "--timestamp", "2015.01.02-03.04.05", "--wait"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(r.out).toStartWith("Skipping destruction of previous version...\nDeploy triggered!\n");
  expect(r.out).toEndWith(`Deploy live: ${SERVICE} v3 (2015.01.02-03.04.05), 1/1 instance ready\n`);
  const all = await units();
  expect(all.filter((u) => u.version === "v3").map((u) => u.deploy_timestamp)).toEqual(["2015.01.02-03.04.05"]);
  expect(all.filter((u) => u.version === "v1")).toHaveLength(2);
}, 120_000);

test("two versions running: destroy_previous is refused with the v1 API's message", async () => {
  const r = await ctl(["deploy", SERVICE, "v2"]);
  expect(r.code).toBe(1);
  expect(r.out).toContain(
    "Too many versions are running.  Destroying previous units is not supported when more than one version is currently running.",
  );
});

test("destroy --timestamp: only that deploy goes", async () => {
  const r = await ctl(["x", SERVICE, "v3", "--timestamp", "2015.01.02-03.04.05"]);
  expect(r).toEqual({ code: 0, out: "Destroy triggered!\n", err: "" });
  const left = await eventually((u) => !u.some((x) => x.version === "v3"));
  expect(left.map((u) => u.version)).toEqual(["v1", "v1"]);
}, 60_000);

test("deployctl name: list and destroy", async () => {
  const l = await runBinary([link.path, "list", SERVICE], env());
  expect(l.code).toBe(0);
  expect(l.out.split("\n")).toHaveLength(5);
  const d = await runBinary([link.path, "destroy", SERVICE, "v1"], env());
  expect(d).toEqual({ code: 0, out: "Destroy triggered!\n", err: "" });
  const left = await eventually((u) => u.length === 0);
  expect(left).toEqual([]);
}, 60_000);

test("destroy of nothing is still 204", async () => {
  expect(await ctl(["destroy", SERVICE, "v9"])).toEqual({ code: 0, out: "Destroy triggered!\n", err: "" });
});

test("an invalid version: the server's 400, exit 1", async () => {
  const r = await ctl(["deploy", SERVICE, "bad:version"]);
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/^Deploy failed :\(\n-- Response Status: 400 Bad Request\n-- Response Body: \{.*\}\n/);
});
