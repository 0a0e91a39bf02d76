/**
 * `deployster graph` through the compiled binary on fixtures/manifests/graph: the DOT and
 * Mermaid output pinned byte for byte (fixtures/manifests/graph/expected/), without and
 * with --plan (real fixture resource types on the real engine: VALID, STALE, PENDING,
 * FAILED, SKIPPED), the failure's reason on stderr, nothing changed, a bad --format refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupWorkspaces, deployster, prepare, ROOT, TIMEOUT, workspace } from "../engine/support";

const expected = (file: string) => readFileSync(join(ROOT, "fixtures/manifests/graph/expected", file), "utf8");

beforeAll(prepare);
afterAll(cleanupWorkspaces);

describe("deployster graph", () => {
  test("DOT and Mermaid of the manifest, no engine needed", async () => {
    const cwd = workspace("graph");
    const dot = await deployster(["graph"], { cwd });
    expect(dot.stderr).toBe("");
    expect(dot.code).toBe(0);
    expect(dot.stdout).toBe(expected("graph.dot"));
    const mermaid = await deployster(["graph", "deployster.yaml", "--format", "mermaid"], { cwd });
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toBe(expected("graph.mmd"));
  });

  test("--plan colours each node by its planned status and changes nothing", async () => {
    const cwd = workspace("graph");
    const dot = await deployster(["graph", "--plan"], { cwd });
    expect(dot.code).toBe(0);
    expect(dot.stdout).toBe(expected("plan.dot"));
    expect(dot.stderr).toBe("broken: FAILED (init): init of 'broken' terminated with exit code 2\n");
    const mermaid = await deployster(["graph", "--plan", "--format", "mermaid"], { cwd });
    expect(mermaid.stdout).toBe(expected("plan.mmd"));
    expect(existsSync(join(cwd, "files/base.txt"))).toBe(false);
  }, TIMEOUT);

  test("-C DIR reads DIR's deployster.yaml, as plan and apply do", async () => {
    const project = workspace("graph");
    const r = await deployster(["graph", "-C", project], { cwd: workspace() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected("graph.dot"));
  });

  test("an unknown --format is a one-line error", async () => {
    const r = await deployster(["graph", "--format", "svg"], { cwd: workspace("graph") });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: invalid --format 'svg': expected dot or mermaid\n");
    expect(r.stdout).toBe("");
  });
});
