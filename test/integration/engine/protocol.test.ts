/**
 * The resource protocol over real containers (src/resource-types/PROTOCOL.md): init errors,
 * state result errors, config_schema, config rendered late with undefined variables as
 * errors, expressions, exact stdin payloads,
 * working directory, base mounts, work-dir artefacts, image references with
 * registry ports.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { byName, cleanupWorkspaces, deployster, engineLeftovers, planDoc, prepare, workspace, TIMEOUT } from "./support";

beforeAll(prepare, TIMEOUT);
afterAll(async () => {
  cleanupWorkspaces();
  expect(await engineLeftovers()).toEqual([]);
});

describe("protocol errors name the resource and the phase", () => {
  test.concurrent("init: non-zero exit, {}, empty state_action and other broken results", async () => {
    const cwd = workspace("init-errors");
    const r = await deployster(["plan", "--json"], { cwd });
    expect(r.code).toBe(1);
    const res = byName(planDoc(r));
    const err = (n: string) => `${res[n].error.phase}: ${res[n].error.message}`;
    expect(err("exits")).toBe("init: init of 'exits' terminated with exit code 2");
    expect(err("empty-object")).toBe("init: protocol error: 'empty-object' init result failed validation: must have required property 'state_action'");
    expect(err("empty-state-action")).toStartWith("init: protocol error: 'empty-state-action' init result has an empty state_action");
    expect(err("silent")).toBe("init: init of 'silent' did not provide any JSON back");
    expect(err("garbage")).toStartWith("init: init of 'garbage' provided invalid JSON: ");
    expect(err("extra-key")).toBe("init: protocol error: 'extra-key' init result failed validation: has unknown key 'extra'");
    expect(res.fine.status).toBe("VALID");
    // stderr of init is shown live, prefixed by the resource
    expect(r.stderr).toContain("exits | init: cannot start");
  }, TIMEOUT);

  test.concurrent("state: VALID with actions, STALE without, garbage, exit codes, extra keys", async () => {
    const cwd = workspace("state-protocol-errors");
    const r = await deployster(["plan"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("valid-with-actions     FAILED in state: protocol error: 'valid-with-actions' state result failed validation: a VALID result must not list actions");
    expect(r.stdout).toContain("stale-without-actions  FAILED in state: protocol error: 'stale-without-actions' state result failed validation: a STALE result must list at least one action");
    expect(r.stdout).toContain(`garbage                FAILED in state: state of 'garbage' provided invalid JSON: `);
    expect(r.stdout).toContain("exits                  FAILED in state: state of 'exits' terminated with exit code 5");
    expect(r.stdout).toContain("extra-key              FAILED in state: protocol error: 'extra-key' state result failed validation: has unknown key 'surprise'");
    expect(r.stderr).toContain("exits | state: backend unreachable");
    expect(r.stdout).toContain("Plan: 0 to change, 0 pending, 0 unchanged, 5 failed, 0 skipped.");
  }, TIMEOUT);

  test.concurrent("config is validated against the type's Draft 4 config_schema", async () => {
    const cwd = workspace("config-schema");
    const res = byName(planDoc(await deployster(["plan", "--json"], { cwd })));
    expect(res.a.error).toEqual({ phase: "config", message: "illegal config for 'a.config.list[1].n': must be integer" });
    expect(res.b.error).toEqual({ phase: "config", message: "illegal config for 'b.config.list[0].n': must be < 10" });
    expect(res.c.status).toBe("VALID");
  }, TIMEOUT);

  test.concurrent("config is rendered only at execution; undefined variables fail that resource", async () => {
    const cwd = workspace("config-rendered-late");
    const r = await deployster(["plan", "--json"], { cwd });
    expect(r.code).toBe(1);
    const res = byName(planDoc(r));
    expect(res.good.status).toBe("VALID");
    expect(res["in-template"].error).toEqual({
      phase: "config",
      message: "resources.in-template.config.value: undefined variable 'not_defined_anywhere' (in 'prefix-{{ not_defined_anywhere }}')",
    });
    expect(res["in-expression"].error.message).toBe("resources.in-expression.config.value: undefined variable 'also_missing' (in '{{ also_missing }}')");
  }, TIMEOUT);
});

describe("what a resource type receives", () => {
  test.concurrent("expressions: native values, templates, plain strings, nested", async () => {
    const cwd = workspace("expressions");
    const r = await deployster(["apply", "-y", "--var", "base=21", "--var", "key=k"], { cwd });
    expect(r.code).toBe(0);
    const stdin = JSON.parse(readFileSync(join(cwd, "out/state-stdin-1.json"), "utf8"));
    expect(stdin.config).toEqual({
      native_int: 3,
      native_string: "5",
      native_list: [1, "two", true],
      native_map: { k: "21" },
      template: "a3b",
      plain: "3+4",
      not_a_string: 7,
      nested: { list: ["21!", { deep: "x-21", keep: "{not a template}" }], "{{ key }}": "keys are never evaluated" },
    });
  }, TIMEOUT);

  test.concurrent("exact stdin payloads, working directory, base mounts and work-dir artefacts", async () => {
    const cwd = workspace("record");
    const work = join(cwd, ".deployster/work");
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, "keep-me"), "the tool never wipes its work dir");
    const conf = join(cwd, ".conf");
    const r = await deployster(["apply", "-y", "--var", "who=world"], { cwd, confDir: conf });
    expect(r.code).toBe(0);
    const base = { name: "rec", type: "deployster-fixture/rt-record", version: expect.any(String), verbose: false, workspace: cwd };

    const initLine = r.stderr.split("\n").find((l) => l.startsWith("rec | init-stdin: "))!;
    const init = JSON.parse(initLine.slice("rec | init-stdin: ".length));
    expect(Object.keys(init)).toEqual(["name", "type", "version", "verbose", "workspace"]);
    expect(init).toEqual(base);
    expect(r.stderr).toContain(`rec | init-cwd: ${cwd}`);

    const state = JSON.parse(readFileSync(join(cwd, "out/state-stdin-1.json"), "utf8"));
    expect(Object.keys(state)).toEqual(["name", "type", "version", "verbose", "workspace", "config"]);
    expect(state).toEqual({ ...base, config: { greeting: "hello world" } });
    const action = JSON.parse(readFileSync(join(cwd, "out/action-stdin.json"), "utf8"));
    expect(Object.keys(action)).toEqual(["name", "type", "version", "verbose", "workspace", "config", "staleState"]);
    expect(action).toEqual({ ...base, config: { greeting: "hello world" }, staleState: { applied: "no" } });
    // the re-query after the action reused the config rendered once
    expect(JSON.parse(readFileSync(join(cwd, "out/state-stdin-2.json"), "utf8"))).toEqual(state);

    expect(readFileSync(join(cwd, "out/state-cwd"), "utf8").trim()).toBe(cwd);
    const mounts = readFileSync(join(cwd, "out/state-mounts"), "utf8").split("\n").map((l) => l.split(" "));
    const mode = (p: string) => mounts.find((m) => m[1] === p)?.[3]?.slice(0, 2);
    expect(mode(conf)).toBe("ro");
    expect(mode(cwd)).toBe("ro");
    expect(mode(work)).toBe("rw");
    expect(mode("/out")).toBe("rw");

    // action output is shown live; artefacts per invocation under <work>/<resource>/<action>/
    // (stdout and stderr of one container have no fixed order between them)
    expect(r.stdout).toContain("rec: apply (1/1): Record the action stdin\n");
    expect(r.stdout).toContain("\n    action stdout line\n");
    expect(r.stdout).toContain("\n    action stderr line\n");
    for (const phase of ["init", "state", "apply"]) {
      const files = readdirSync(join(work, "rec", phase));
      for (const kind of ["stdin", "stdout", "stderr"]) expect(files.some((f) => f.startsWith(`${kind}-`) && f.endsWith(".json"))).toBe(true);
    }
    expect(readdirSync(join(work, "rec", "state")).filter((f) => f.startsWith("stdin-")).length).toBe(2);
    const actionArtefacts = readdirSync(join(work, "rec", "apply"));
    const stdinFile = actionArtefacts.find((f) => f.startsWith("stdin-"))!;
    expect(JSON.parse(readFileSync(join(work, "rec", "apply", stdinFile), "utf8"))).toEqual(action);
    expect(readFileSync(join(work, "rec", "apply", stdinFile.replace("stdin-", "stdout-")), "utf8")).toBe("action stdout line\n");
    expect(existsSync(join(work, "keep-me"))).toBe(true);
  }, TIMEOUT);

  test.concurrent("--work-dir moves the artefacts", async () => {
    const cwd = workspace("record");
    const r = await deployster(["plan", "--var", "who=x", "--work-dir", "elsewhere"], { cwd });
    expect(r.code).toBe(0);
    expect(readdirSync(join(cwd, "elsewhere", "rec"))).toEqual(expect.arrayContaining(["init", "state"]));
    expect(existsSync(join(cwd, ".deployster"))).toBe(false);
  }, TIMEOUT);

  test.concurrent("image references with a registry host and port", async () => {
    const cwd = workspace("image-field");
    const res = byName(planDoc(await deployster(["plan", "--json"], { cwd })));
    expect(res["typed-with-port"]).toMatchObject({ status: "VALID", state: { value: "direct" } });
    expect(res["state-image-with-port"]).toMatchObject({ status: "VALID", state: { value: "via-state-action" } });
  }, TIMEOUT);
});
