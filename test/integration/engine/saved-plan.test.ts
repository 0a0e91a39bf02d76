/**
 * Saved plans through the compiled binary (fixtures/manifests/saved-plan): `plan -o FILE`
 * writes a versioned plan without config or state values, `apply FILE` applies exactly it,
 * and refuses, naming each resource and changing nothing, when the world, the config or the
 * manifests changed since the plan was made.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupWorkspaces, deployster, prepare, TIMEOUT, workspace } from "./support";

beforeAll(prepare);
afterAll(cleanupWorkspaces);

function scenario() {
  const ws = workspace("saved-plan");
  mkdirSync(join(ws, "site"));
  const run = (...args: string[]) => deployster(args, { cwd: ws });
  const file = (name: string) => (existsSync(join(ws, "site", name)) ? readFileSync(join(ws, "site", name), "utf8") : undefined);
  return { ws, run, file };
}

describe("saved plans", () => {
  test("plan -o writes a versioned plan with digests instead of values; apply FILE applies exactly it, then refuses it as stale", async () => {
    const { ws, run, file } = scenario();
    const planned = await run("plan", "--var-file", "secret.yaml", "-o", "release.plan");
    expect(planned.code).toBe(0);
    expect(planned.stderr).toContain("Saved the plan to");
    const text = readFileSync(join(ws, "release.plan"), "utf8");
    expect(text).not.toContain("s3cret");
    expect(statSync(join(ws, "release.plan")).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(text);
    expect(saved).toMatchObject({ format: "deployster-plan", format_version: 1, workspace: ws, variables: [{ var_file: "secret.yaml" }] });
    const byName = Object.fromEntries(saved.resources.map((r: any) => [r.name, r]));
    expect(byName.greeting).toMatchObject({ status: "STALE", actions: [{ name: "create", args: ["write"] }] });
    expect(byName.greeting.config_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(byName.echo).toEqual({ name: "echo", type: "deployster-fixture/rt-value", dependencies: { g: "greeting" }, status: "PENDING", pending_on: ["greeting"] });
    expect(file("greeting.txt")).toBeUndefined(); // plan changed nothing

    // no --yes needed: the saved plan was the review
    const applied = await run("apply", "release.plan");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("Apply complete: 2 changed, 1 unchanged, 0 failed");
    expect(applied.stdout).toContain("echo: VALID, nothing to do");
    expect(file("greeting.txt")).toBe("s3cret-message");
    expect(file("farewell.txt")).toBe("bye s3cret-message");

    const again = await run("apply", "release.plan");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("the world changed since the plan was made, so it was not applied (nothing was changed)");
    expect(again.stderr).toContain("'greeting': was STALE when planned, now VALID");
    expect(again.stderr).toContain("'farewell': was STALE when planned, now VALID");
    expect(again.stderr).toContain("'echo': was pending on greeting when planned, now VALID");
  }, TIMEOUT);

  test("a resource changed behind the plan's back: refused, naming each one, nothing touched", async () => {
    const { ws, run, file } = scenario();
    writeFileSync(join(ws, "site/greeting.txt"), "old");
    writeFileSync(join(ws, "site/farewell.txt"), "old");
    expect((await run("plan", "--var", "message=new", "-o", "p.json")).code).toBe(0);
    writeFileSync(join(ws, "site/greeting.txt"), "tampered");
    writeFileSync(join(ws, "site/farewell.txt"), "bye new"); // someone else converged it
    const r = await run("apply", "p.json");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("'greeting': its current state changed since the plan was made");
    expect(r.stderr).toContain("'farewell': was STALE when planned, now VALID");
    expect(r.stdout).not.toContain("Applying:");
    expect(file("greeting.txt")).toBe("tampered");
  }, TIMEOUT);

  test("changed variables or manifests: refused; --var with a saved plan, or a foreign file: clear errors", async () => {
    const { ws, run, file } = scenario();
    expect((await run("plan", "--var-file", "secret.yaml", "-o", "p.json")).code).toBe(0);
    writeFileSync(join(ws, "secret.yaml"), "message: changed\n");
    const changedVars = await run("apply", "p.json");
    expect(changedVars.code).toBe(1);
    expect(changedVars.stderr).toContain("'greeting': its config changed (manifests or variables differ from the plan's)");
    expect(file("greeting.txt")).toBeUndefined();

    const manifest = join(ws, "deployster.yaml");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace(/ {2}echo:[\s\S]*$/, ""));
    const removed = await run("apply", "p.json");
    expect(removed.stderr).toContain("'echo': no longer in the manifests");

    const withVar = await run("apply", "p.json", "--var", "message=x");
    expect(withVar.code).toBe(1);
    expect(withVar.stderr).toContain("a saved plan carries its own variables");
    const doc = JSON.parse(readFileSync(join(ws, "p.json"), "utf8"));
    writeFileSync(join(ws, "future.json"), JSON.stringify({ ...doc, format_version: 99 }));
    const future = await run("apply", "future.json");
    expect(future.code).toBe(1);
    expect(future.stderr).toContain("format_version 99 is not supported");
    expect(file("greeting.txt")).toBeUndefined();
  }, TIMEOUT);

  test("a plan with failures is not saved", async () => {
    const { ws, run } = scenario();
    const r = await run("plan", "-o", "p.json"); // no `message`: greeting and farewell fail to render
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the plan was not saved: 'greeting', 'farewell', 'echo' failed or were skipped");
    expect(existsSync(join(ws, "p.json"))).toBe(false);
  }, TIMEOUT);
});
