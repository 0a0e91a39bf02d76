/**
 * fixtures/quickstart/web.yaml, verbatim, through bin/deployster: apply from nothing (the
 * front container reaches the web server through `{{ web.state.ip }}`), a second plan with
 * nothing to do, and a changed image re-applied as a start-first replacement.
 *
 * The test deploys its own copy of the stack (`--var stack=<unique>`), never the names a
 * user's quickstart has (quickstart-*), and removes only objects carrying its own stack label.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { leftovers, removeByLabel, requireDocker } from "../../support/docker";
import { ensureBinary, httpGet, ROOT, runDeployster, uniquePrefix } from "./helpers";

const WEB = join(ROOT, "fixtures/quickstart/web.yaml");
const STACK = `qs${uniquePrefix()}`;
const STACK_LABEL = `app=${STACK}`;
const STACK_VAR = ["--var", `stack=${STACK}`];
let workspace = "";

async function hostPort(name: string): Promise<string> {
  return (await $`docker port ${name} 80/tcp`.text()).trim().split("\n")[0]!.split(":").pop()!;
}

beforeAll(async () => {
  await requireDocker();
  ensureBinary();
  workspace = mkdtempSync(join(tmpdir(), "deployster-quickstart-web-"));
});

afterAll(async () => {
  await removeByLabel(STACK_LABEL);
  if (workspace) rmSync(workspace, { recursive: true, force: true });
  expect(await leftovers(STACK_LABEL)).toEqual({ containers: [], networks: [], volumes: [] });
});

test("web.yaml: apply, nothing to do, then a start-first image change", async () => {
  const first = await runDeployster(["apply", "-y", WEB, ...STACK_VAR], workspace);
  expect(first.code).toBe(0);
  expect(first.out).toContain("Apply complete: 4 changed, 0 unchanged, 0 failed, 0 skipped");
  expect((await httpGet(`http://127.0.0.1:${await hostPort(`${STACK}-web`)}/`)).body).toBe("web 1 hello from deployster");
  expect((await httpGet(`http://127.0.0.1:${await hostPort(`${STACK}-front`)}/cgi-bin/upstream`)).body).toBe("web 1 hello from deployster");

  const again = await runDeployster(["plan", WEB, "--detailed-exitcode", ...STACK_VAR], workspace);
  expect(again.code).toBe(0);
  expect(again.out).toContain("Plan: nothing to do (4 VALID).");

  const plan = await runDeployster(["plan", WEB, ...STACK_VAR, "--var", "web_version=2"], workspace);
  expect(plan.out).toContain("recreate: recreate (start-first): image: deployster-fixture/web:1 → deployster-fixture/web:2");
  expect(plan.out).toMatch(/front\s+PENDING on web/);
  const apply = await runDeployster(["apply", "-y", WEB, ...STACK_VAR, "--var", "web_version=2"], workspace);
  expect(apply.code).toBe(0);
  expect(apply.out).toContain(`renamed ${STACK}-web-next-`);
  expect((await httpGet(`http://127.0.0.1:${await hostPort(`${STACK}-front`)}/cgi-bin/upstream`)).body).toBe("web 2 hello from deployster");
  expect((await runDeployster(["plan", WEB, "--detailed-exitcode", ...STACK_VAR, "--var", "web_version=2"], workspace)).code).toBe(0);
}, 120_000);
