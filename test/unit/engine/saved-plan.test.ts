/** Saved plans as data: what is kept (digests, not values), what counts as a change, what a file must look like. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareWithSaved, createSavedPlan, digestOf } from "../../../src/engine/saved-plan";
import { looksLikeSavedPlan, readSavedPlan } from "../../../src/engine/saved-plan-file";
import type { Plan, PlannedResource, StaleResource, ValidResource } from "../../../src/engine/types";

const dir = mkdtempSync(join(tmpdir(), "deployster-saved-plan-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (name: string, dependencies: Record<string, string> = {}) => ({ name, type: "t/x", readonly: false, dependencies, config: {} }) as any;
const stale = (name: string, config: Record<string, unknown>, staleState: Record<string, unknown> = {}): StaleResource => ({
  spec: spec(name),
  status: "STALE",
  config,
  staleState,
  actions: [{ name: "create", description: "Create", image: "t/x", args: ["write"] }],
  init: { state_action: {} },
  mounts: [],
});
const valid = (name: string, state: Record<string, unknown>): ValidResource => ({ spec: spec(name), status: "VALID", config: {}, state, init: { state_action: {} }, mounts: [] });
const plan = (resources: PlannedResource[]): Plan => ({ runId: "r", createdAt: "2026-01-01T00:00:00Z", manifest: { files: ["/w/m.yaml"] }, workspace: "/w", resources }) as any;

describe("saved plans", () => {
  const base = plan([stale("a", { password: "hunter2" }), valid("b", { token: "t0ps3cret" })]);
  const saved = createSavedPlan(base, { cwd: "/w", sources: [{ kind: "var", name: "env", value: "qa" }, { kind: "file", path: "s.yaml" }] });

  test("keeps digests of config and state, never their values", () => {
    const text = JSON.stringify(saved);
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("t0ps3cret");
    expect(saved.resources[0]!.config_digest).toBe(digestOf(saved.salt, { password: "hunter2" }));
    expect(saved.variables).toEqual([{ var: "env", value: "qa" }, { var_file: "s.yaml" }]);
    expect(digestOf("other salt", { password: "hunter2" })).not.toBe(saved.resources[0]!.config_digest);
  });

  test("the same world compares equal (a VALID state may change); each kind of change is named", () => {
    expect(compareWithSaved(saved, plan([stale("a", { password: "hunter2" }), valid("b", { token: "other" })]))).toEqual([]);
    expect(compareWithSaved(saved, plan([stale("a", { password: "changed" }), valid("b", {})]))).toEqual(["'a': its config changed (manifests or variables differ from the plan's)"]);
    expect(compareWithSaved(saved, plan([stale("a", { password: "hunter2" }, { exists: true }), valid("b", {})]))).toEqual(["'a': its current state changed since the plan was made"]);
    const other = stale("a", { password: "hunter2" });
    other.actions = [{ name: "update", description: "u", image: "t/x", args: [] }];
    expect(compareWithSaved(saved, plan([other, valid("b", {})]))).toEqual(["'a': its actions changed (planned: create; now: update)"]);
    expect(compareWithSaved(saved, plan([valid("a", {}), stale("b", {}), stale("c", {})]))).toEqual([
      "'a': was STALE when planned, now VALID",
      "'b': was VALID when planned, now STALE (would run: create)",
      "'c': added to the manifests since the plan was made",
    ]);
  });

  test("plans with failed or skipped resources are not saved", () => {
    expect(() => createSavedPlan(plan([{ spec: spec("x"), status: "FAILED", error: { phase: "state", message: "no" } }]), { cwd: "/w", sources: [] })).toThrow(
      "the plan was not saved: 'x' failed or was skipped",
    );
  });

  test("files: recognised by their head, checked field by field", () => {
    const good = join(dir, "good.plan");
    writeFileSync(good, JSON.stringify(saved));
    expect(looksLikeSavedPlan(good)).toBe(true);
    expect(readSavedPlan(good).resources).toHaveLength(2);
    const yaml = join(dir, "m.yaml");
    writeFileSync(yaml, "resources: {}\n");
    expect(looksLikeSavedPlan(yaml)).toBe(false);
    expect(looksLikeSavedPlan(join(dir, "missing"))).toBe(false);
    const bad = (name: string, value: unknown, message: string) => {
      const f = join(dir, name);
      writeFileSync(f, typeof value === "string" ? value : JSON.stringify(value));
      expect(() => readSavedPlan(f)).toThrow(message);
    };
    bad("json", '{"format": "deployster-plan", ', "invalid JSON");
    bad("version", { ...saved, deployster_version: "0.0.1" }, "it was made by deployster 0.0.1");
    bad("vars", { ...saved, variables: [{ var: 1 }] }, "'variables' must be a list");
    bad("actions", { ...saved, resources: [{ ...saved.resources[0], actions: [{ name: "x" }] }] }, "resources[0].actions must be a list of actions");
    bad("status", { ...saved, resources: [{ ...saved.resources[0], status: "FAILED" }] }, "resources[0].status must be VALID, STALE or PENDING");
  });
});
