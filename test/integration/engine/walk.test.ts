/**
 * The walk through the binary: dependency state and pending resources, failures,
 * parallelism and prefixed live output, readonly, the init cache, --json and
 * --detailed-exitcode.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { byName, cleanupWorkspaces, deployster, engineLeftovers, planDoc, prepare, TIMEOUT, workspace } from "./support";

beforeAll(prepare, TIMEOUT);
afterAll(async () => {
  cleanupWorkspaces();
  expect(await engineLeftovers()).toEqual([]);
});

describe("dependencies", () => {
  test.concurrent("state flows to dependents; STALE-dependent configs are pending in the plan and resolved in apply", async () => {
    const cwd = workspace("dependency-state");
    const plan = await deployster(["plan", "--json", "--detailed-exitcode"], { cwd });
    expect(plan.code).toBe(2);
    const p = byName(planDoc(plan));
    expect(p.source).toMatchObject({ status: "VALID", state: { value: "seed" } });
    expect(p.base.status).toBe("STALE");
    expect(p.derived).toMatchObject({ status: "PENDING", pending_on: ["base"] });
    expect(p["name-only"].status).toBe("STALE"); // needs base's name only: a real state query
    expect(planDoc(plan).summary).toEqual({ valid: 1, stale: 2, pending: 1, failed: 0, skipped: 0, changes: 3 });
    expect(existsSync(join(cwd, "files/base.txt"))).toBe(false); // plan changed nothing

    const apply = await deployster(["apply", "-y"], { cwd });
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain("derived: dependencies converged, querying its state");
    expect(apply.stdout).toMatch(/Apply complete: 3 changed, 1 unchanged, 0 failed, 0 skipped/);
    expect(readFileSync(join(cwd, "files/base.txt"), "utf8")).toBe("base from source (deployster-fixture/rt-value) = seed");
    expect(readFileSync(join(cwd, "files/derived.txt"), "utf8")).toBe("derived: base from source (deployster-fixture/rt-value) = seed");

    const again = await deployster(["plan", "--detailed-exitcode"], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Plan: nothing to do (4 VALID).");
  }, TIMEOUT);

  test.concurrent("failed actions and resources that stay STALE fail; dependents skipped; the rest converges", async () => {
    const cwd = workspace("action-failures");
    const r = await deployster(["apply", "-y"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: explodes: action failed: action 'explode' of 'explodes' terminated with exit code 3");
    expect(r.stderr).toContain("error: never-converges: recheck failed: protocol error: expected 'never-converges' to be VALID after applying actions");
    expect(r.stdout).toContain("after-explodes: skipped (dependency 'explodes' failed)");
    expect(r.stdout).toContain("after-stuck: skipped (dependency 'never-converges' failed)");
    expect(r.stdout).toContain("Apply failed: 1 changed, 0 unchanged, 2 failed, 2 skipped");
    expect(readFileSync(join(cwd, "files/independent.txt"), "utf8")).toBe("written anyway");
    expect(existsSync(join(cwd, "files/after-explodes.txt"))).toBe(false);
    // all output of actions is shown (stdout and stderr)
    expect(r.output).toContain("about to fail");
    expect(r.output).toContain("boom");
  }, TIMEOUT);

  test.concurrent("readonly STALE: an error in the plan, and apply stops before any action", async () => {
    const cwd = workspace("readonly");
    const plan = await deployster(["plan", "--detailed-exitcode"], { cwd });
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain("guarded         FAILED in state: readonly resource 'guarded' is STALE (would run: create); deployster will not change it");
    expect(plan.stdout).toContain("readonly-valid  VALID");
    const apply = await deployster(["apply", "-y"], { cwd });
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain("apply stopped: readonly resource 'guarded' is STALE: nothing was changed");
    expect(existsSync(join(cwd, "files/other.txt"))).toBe(false);
    expect(existsSync(join(cwd, "files/guarded.txt"))).toBe(false);
  }, TIMEOUT);
});

describe("parallelism and output", () => {
  const seen = (cwd: string) => [1, 2, 3, 4].map((i) => Number(readFileSync(join(cwd, `files/seen-s${i}`), "utf8").trim()));

  test("--parallelism 1 runs one state query at a time", async () => {
    const cwd = workspace("parallel");
    const r = await deployster(["plan", "--parallelism", "1"], { cwd });
    expect(r.code).toBe(0);
    expect(Math.max(...seen(cwd))).toBe(1);
  }, TIMEOUT);

  test("independent resources run at once, their live output prefixed by name", async () => {
    const cwd = workspace("parallel");
    const r = await deployster(["apply", "-y", "--parallelism", "4"], { cwd });
    expect(r.code).toBe(0);
    expect(Math.max(...seen(cwd))).toBeGreaterThan(1);
    for (const s of ["s1", "s2", "s3", "s4"]) {
      expect(r.stdout).toMatch(new RegExp(`(${s} \\| |    )${s} step 3`));
      expect(r.stdout).toContain(`${s}: VALID after 1 action`);
    }
    expect(r.stdout).toMatch(/s\d \| s\d step \d/); // several at once: prefixed
    expect(r.stderr).toMatch(/s\d \| slow: s\d checking/);
  }, TIMEOUT);
});

describe("init cache", () => {
  test("init runs once per type, is cached on disk, and --no-init-cache runs it again", async () => {
    const cwd = workspace("init-cache");
    const conf = join(cwd, ".conf");
    const inits = () =>
      ["a1", "a2", "a3", "s1"].reduce((n, r) => {
        const dir = join(cwd, ".deployster/work", r, "init");
        return n + (existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith("stdin-")).length : 0);
      }, 0);
    const first = await deployster(["plan"], { cwd, confDir: conf });
    expect(first.code).toBe(0);
    expect(inits()).toBe(2); // one per type
    expect(readdirSync(join(conf, "init-cache")).filter((f) => f.endsWith(".json")).length).toBe(2);
    const second = await deployster(["plan"], { cwd, confDir: conf });
    expect(second.code).toBe(0);
    expect(inits()).toBe(2); // served from the disk cache
    const third = await deployster(["plan", "--no-init-cache"], { cwd, confDir: conf });
    expect(third.code).toBe(0);
    expect(inits()).toBe(4);
  }, TIMEOUT);
});

describe("machine-readable output", () => {
  test.concurrent("plan --json is a versioned document; apply --json is an NDJSON event stream", async () => {
    const cwd = workspace("confirm");
    const plan = await deployster(["plan", "--json"], { cwd });
    expect(plan.code).toBe(0);
    const doc = planDoc(plan);
    expect(doc.format_version).toBe(1);
    expect(doc.run_id).toBe(plan.runId);
    expect(byName(doc).first.actions).toEqual([{ name: "create", description: "Create first.txt", image: "deployster-fixture/rt-file", args: ["write"] }]);

    const apply = await deployster(["apply", "-y", "--json"], { cwd });
    expect(apply.code).toBe(0);
    const events = apply.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ format_version: 1, event: "run-start", command: "apply", runId: apply.runId });
    const kinds = events.map((e) => e.event);
    expect(kinds).toContain("plan");
    expect(kinds).toContain("action-start");
    expect(kinds).toContain("output");
    expect(kinds.at(-1)).toBe("summary");
    expect(events.at(-1)).toMatchObject({ ok: true, counts: { changed: 2, unchanged: 0, failed: 0, skipped: 0 } });
    expect(events.filter((e) => e.event === "resource-result").map((e) => [e.resource, e.outcome])).toEqual([
      ["first", "changed"],
      ["second", "changed"],
    ]);

    const after = await deployster(["plan", "--detailed-exitcode", "--json"], { cwd });
    expect(after.code).toBe(0);
    expect(planDoc(after).summary.changes).toBe(0);
  }, TIMEOUT);
});
