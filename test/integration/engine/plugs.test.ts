/**
 * Plugs through real containers: the permission table, optional vs required
 * requests, mounts in request order with their modes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { byName, cleanupWorkspaces, deployster, engineLeftovers, planDoc, prepare, TIMEOUT, workspace } from "./support";

beforeAll(prepare, TIMEOUT);
afterAll(async () => {
  cleanupWorkspaces();
  expect(await engineLeftovers()).toEqual([]);
});

const plan = (file: string, extra: string[] = []) => deployster(["plan", file, ...extra], { cwd: workspace("plugs") });

describe("plugs", () => {
  test.concurrent("valid requests are mounted in request order, read-only when the plug or the request says so", async () => {
    const ws = workspace("plugs");
    const r = await deployster(["plan", "ok.yaml", "--json", "-v"], { cwd: ws });
    expect(r.code).toBe(0);
    const cwd = JSON.parse(r.stdout).resources[0];
    expect(cwd.state.mounts.trim().split(" ")).toEqual(["/p/opt:rw", "/p/opt_ro:ro", "/p/req:rw", "/p/ro:ro"]);
    // -v shows the binds as given to the engine: host:container:mode in request order
    const line = r.stderr.split("\n").find((l) => l.startsWith("plugged | state started"))!;
    const binds = /\(plugs: (.*)\)$/.exec(line)![1].split(" ");
    expect(binds).toEqual([`${ws}/req:/p/req:rw`, `${ws}/opt:/p/opt:rw`, `${ws}/ro:/p/ro:ro`, `${ws}/opt_ro:/p/opt_ro:ro`]);
  }, TIMEOUT);

  test.concurrent("a missing optional plug is skipped with a warning", async () => {
    const r = await plan("optional-missing.yaml", ["--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning: plugged: Optional plug 'p_opt' does not exist (skipped)");
    expect(r.stderr).toContain("warning: plugged: Optional plug 'p_opt_ro' does not exist (skipped)");
    expect(JSON.parse(r.stdout).resources[0].state.mounts.trim()).toBe("/p/req:rw /p/ro:ro");
  }, TIMEOUT);

  test.concurrent("a missing required plug fails the resource", async () => {
    const r = await plan("required-missing.yaml");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("plugged  FAILED in plugs: plug 'p_req' required by 'plugged' does not exist");
  }, TIMEOUT);

  test.concurrent("not allowed: warning for the optional plug, error for the required one", async () => {
    const r = await plan("not-allowed.yaml");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("plugged  FAILED in plugs: plug 'p_req' required by 'plugged' is not allowed for it");
  }, TIMEOUT);

  test.concurrent("read-only plug requested writable: warning when optional, error when required", async () => {
    const optional = await plan("optional-readonly.yaml", ["--json"]);
    expect(optional.code).toBe(0);
    expect(optional.stderr).toContain("warning: plugged: Optional plug 'p_opt' is readonly, but requested with write access (skipped)");
    const required = await plan("required-readonly.yaml");
    expect(required.code).toBe(1);
    expect(required.stdout).toContain("plug 'p_req' required by 'plugged' is readonly, but requested with write access");
  }, TIMEOUT);

  test.concurrent("permission table: name and type patterns anchored at the start, empty lists allow all", async () => {
    const r = await deployster(["plan", "--json"], { cwd: workspace("plug-permissions") });
    expect(r.code).toBe(0);
    const res = byName(planDoc(r));
    expect(res.allowed.state.mounts.trim()).toBe("/p/opt:rw /p/opt_ro:ro /p/req:rw /p/ro:ro");
    expect(res["allowed-too"].state.mounts.trim()).toBe("/p/opt:rw /p/req:rw /p/ro:ro");
    expect(r.stderr).toContain("warning: allowed-too: Optional plug 'p_opt_ro' is not allowed for it (skipped)");
    expect(r.stderr).not.toContain("warning: allowed:");
  }, TIMEOUT);
});
