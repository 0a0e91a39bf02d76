/**
 * The quickstart (fixtures/quickstart/deployster.yaml + vars/site.yaml) converges on a fresh
 * workspace, and a second apply reports everything VALID with no action. (web.yaml, the
 * built-in docker stack of the same folder, is tested with the built-in types.)
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupWorkspaces, deployster, engineLeftovers, prepare, ROOT, TIMEOUT, workspace } from "./support";

beforeAll(prepare, TIMEOUT);
afterAll(async () => {
  cleanupWorkspaces();
  expect(await engineLeftovers()).toEqual([]);
});

test("apply converges the quickstart, and a second apply has nothing to do", async () => {
  const cwd = workspace();
  cpSync(join(ROOT, "fixtures/quickstart/deployster.yaml"), join(cwd, "fixtures/quickstart/deployster.yaml"), { recursive: true });
  cpSync(join(ROOT, "fixtures/quickstart/vars"), join(cwd, "fixtures/quickstart/vars"), { recursive: true });
  const args = ["apply", "-y", "--var-file", "fixtures/quickstart/vars/site.yaml", "fixtures/quickstart/deployster.yaml"];

  const first = await deployster(args, { cwd });
  expect(first.code).toBe(0);
  expect(first.stdout).toContain("? about   PENDING on index");
  expect(first.stdout).toMatch(/Apply complete: 2 changed, 1 unchanged, 0 failed, 0 skipped/);
  const site = join(cwd, ".deployster/quickstart/site");
  expect(readFileSync(join(site, "index.html"), "utf8")).toMatch(/^<h1>My site v\d+\.\d+\.\d+.*<\/h1>$/);
  expect(readFileSync(join(site, "about.html"), "utf8")).toBe("<p>My site: start at index.html</p>");

  const second = await deployster(args, { cwd, confDir: join(cwd, ".conf") });
  expect(second.code).toBe(0);
  expect(second.stdout).toContain("Plan: nothing to do (3 VALID).");
  expect(second.stdout).toMatch(/Apply complete: 0 changed, 3 unchanged, 0 failed, 0 skipped/);
  expect(second.stdout).not.toContain("Applying:");
}, TIMEOUT);
