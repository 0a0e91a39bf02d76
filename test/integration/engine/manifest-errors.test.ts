/**
 * Bad manifests through the binary: duplicate names, plugs as a list, malformed YAML,
 * unknown dependencies, cycles, unknown built-in
 * types, collected schema problems; one clear error, no stack unless -v.
 * Nothing runs a container here (plan fails before anything runs).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cleanupWorkspaces, deployster, engineLeftovers, prepare, workspace, TIMEOUT } from "./support";

beforeAll(prepare, TIMEOUT);
afterAll(async () => {
  cleanupWorkspaces();
  expect(await engineLeftovers()).toEqual([]);
});

const planIn = (scenario: string, args: string[] = []) => {
  const cwd = workspace(scenario);
  return deployster(["plan", ...args], { cwd });
};

/** One `error: ...` message on stderr, nothing on stdout, no stack trace. */
function expectCleanError(r: { code: number; stdout: string; stderr: string }, ...parts: (string | RegExp)[]) {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr.startsWith("error: ")).toBe(true);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  for (const p of parts) expect(r.stderr).toMatch(p);
}

describe("manifest errors", () => {
  test.concurrent("duplicate plug and resource names across files", async () => {
    const r = await planIn("dup-names", ["a.yaml", "b.yaml"]);
    expectCleanError(r, /Duplicate plug found: 'shared' \(a\.yaml:3:3 and b\.yaml:2:3\)/, /Duplicate resource found: 'r1' \(a\.yaml:5:3 and b\.yaml:4:3\)/);
  }, TIMEOUT);

  test.concurrent("plugs given as a list", async () => {
    const r = await planIn("plugs-as-list");
    expectCleanError(r, "error: invalid manifest:\n  - deployster.yaml:3:3: plugs: must be a mapping (got a list)\n");
  }, TIMEOUT);

  test.concurrent("malformed YAML names the file, line and column", async () => {
    const r = await planIn("malformed-yaml");
    expectCleanError(r, /^error: deployster\.yaml:5:\d+: malformed manifest: .+\n$/);
  }, TIMEOUT);

  test.concurrent("unknown dependency names both resources", async () => {
    const r = await planIn("unknown-dependency");
    expectCleanError(r, "resource 'r2' depends on an unknown resource: r3");
  }, TIMEOUT);

  test.concurrent("a cycle is reported with its chain before anything runs", async () => {
    const r = await planIn("cycle");
    expectCleanError(r, /^error: dependency cycle: a -> b -> c -> a\n$/);
  }, TIMEOUT);

  test.concurrent("an unknown built-in type is a clear error", async () => {
    const r = await planIn("builtin-unknown");
    expectCleanError(r, /^error: unknown built-in resource type 'deployster\/does-not-exist' \(used by 'nope'\)\n$/);
  }, TIMEOUT);

  test.concurrent("every schema problem is reported at once, with its path and position", async () => {
    const r = await planIn("bad-input");
    expectCleanError(
      r,
      "error: invalid manifest (3 problems):",
      "deployster.yaml:5:19: resources.web.dependencies: must be a mapping (got a list)",
      "deployster.yaml:6:5: resources.web: unknown key 'confg'",
      "deployster.yaml:7:3: resources: invalid name 'not a name'",
    );
  }, TIMEOUT);

  test.concurrent("-v adds the stack trace", async () => {
    const r = await planIn("cycle", ["-v"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: dependency cycle: a -> b -> c -> a");
    expect(r.stderr).toMatch(/\n\s+at /);
  }, TIMEOUT);

  test.concurrent("no manifest and no deployster.yaml; a missing manifest file", async () => {
    const cwd = workspace();
    expectCleanError(await deployster(["plan"], { cwd }), /^error: no manifest given and no deployster\.yaml in /);
    expectCleanError(await deployster(["plan", "nope.yaml"], { cwd }), "error: manifest 'nope.yaml' not found\n");
  }, TIMEOUT);

  test.concurrent("an engine that does not answer is one clear error, before anything runs", async () => {
    const r = await deployster(["plan"], { cwd: workspace("dependency-state"), env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" } });
    expectCleanError(r, /^error: cannot reach the Docker engine at unix:\/\/\/nonexistent\/docker\.sock \(no such socket\)/);
  }, TIMEOUT);

  test.concurrent("bad flags are one-line errors", async () => {
    const cwd = workspace("cycle");
    expectCleanError(await deployster(["plan", "--parallelism", "0"], { cwd }), "invalid --parallelism '0'");
    expectCleanError(await deployster(["apply", "-c", "SOMETIMES"], { cwd }), "invalid confirmation mode 'SOMETIMES'");
    expectCleanError(await deployster(["plan", "--action-timeout", "soon"], { cwd }), "invalid --action-timeout 'soon'");
    expectCleanError(await deployster(["plan", "--var", "novalue"], { cwd }), "invalid --var 'novalue': expected NAME=VALUE");
  }, TIMEOUT);
});
