/**
 * fixtures/quickstart/web.yaml, verbatim, through bin/deployster: apply from nothing (the
 * front container reaches the web server through `{{ web.state.ip }}`), a second plan with
 * nothing to do, and a changed image re-applied as a start-first replacement.
 *
 * Its names are fixed (quickstart-*): the test refuses to run when they already exist (a
 * quickstart someone is running), and removes exactly what it created.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectContainer, inspectNetwork, inspectVolume, removeContainer, removeNetwork, removeVolume } from "../../../src/docker/index";
import { docker, requireDocker } from "../../support/docker";
import { ensureBinary, httpGet, ROOT, runDeployster } from "./helpers";

const WEB = join(ROOT, "fixtures/quickstart/web.yaml");
const CONTAINERS = ["quickstart-web", "quickstart-front"];
let workspace = "";

async function hostPort(name: string): Promise<string> {
  return (await $`docker port ${name} 80/tcp`.text()).trim().split("\n")[0]!.split(":").pop()!;
}

async function existing(): Promise<string[]> {
  const found: string[] = [];
  for (const c of CONTAINERS) if (await inspectContainer(docker, c)) found.push(c);
  if (await inspectNetwork(docker, "quickstart-net")) found.push("quickstart-net");
  if (await inspectVolume(docker, "quickstart-data")) found.push("quickstart-data");
  return found;
}

beforeAll(async () => {
  await requireDocker();
  ensureBinary();
  const found = await existing();
  if (found.length) throw new Error(`the quickstart's objects already exist (${found.join(", ")}): remove them to run this test`);
  workspace = mkdtempSync(join(tmpdir(), "deployster-quickstart-web-"));
});

afterAll(async () => {
  for (const c of CONTAINERS) {
    const i = await inspectContainer(docker, c);
    if (i?.Config?.Labels?.app === "quickstart") await removeContainer(docker, i.Id, { force: true });
  }
  // Containers left under temporary names by a failed replacement carry the canonical name.
  for (const c of CONTAINERS) for (const id of (await $`docker ps -aq --filter label=deployster.name=${c}`.text()).split("\n").filter(Boolean)) await removeContainer(docker, id, { force: true });
  if ((await inspectNetwork(docker, "quickstart-net"))?.Labels?.app === "quickstart") await removeNetwork(docker, "quickstart-net");
  if ((await inspectVolume(docker, "quickstart-data"))?.Labels?.app === "quickstart") await removeVolume(docker, "quickstart-data");
  if (workspace) rmSync(workspace, { recursive: true, force: true });
  expect(await existing()).toEqual([]);
});

test("web.yaml: apply, nothing to do, then a start-first image change", async () => {
  const first = await runDeployster(["apply", "-y", WEB], workspace);
  expect(first.code).toBe(0);
  expect(first.out).toContain("Apply complete: 4 changed, 0 unchanged, 0 failed, 0 skipped");
  expect((await httpGet(`http://127.0.0.1:${await hostPort("quickstart-web")}/`)).body).toBe("web 1 hello from deployster");
  expect((await httpGet(`http://127.0.0.1:${await hostPort("quickstart-front")}/cgi-bin/upstream`)).body).toBe("web 1 hello from deployster");

  const again = await runDeployster(["plan", WEB, "--detailed-exitcode"], workspace);
  expect(again.code).toBe(0);
  expect(again.out).toContain("Plan: nothing to do (4 VALID).");

  const plan = await runDeployster(["plan", WEB, "--var", "web_version=2"], workspace);
  expect(plan.out).toContain("recreate: recreate (start-first): image: deployster-fixture/web:1 → deployster-fixture/web:2");
  expect(plan.out).toMatch(/front\s+PENDING on web/);
  const apply = await runDeployster(["apply", "-y", WEB, "--var", "web_version=2"], workspace);
  expect(apply.code).toBe(0);
  expect(apply.out).toContain("renamed quickstart-web-next-");
  expect((await httpGet(`http://127.0.0.1:${await hostPort("quickstart-front")}/cgi-bin/upstream`)).body).toBe("web 2 hello from deployster");
  expect((await runDeployster(["plan", WEB, "--detailed-exitcode", "--var", "web_version=2"], workspace)).code).toBe(0);
}, 120_000);
