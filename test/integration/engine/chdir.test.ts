/**
 * -C/--chdir DIR through the compiled binary: plan and apply behave exactly as if started in
 * DIR (manifest arguments, the default deployster.yaml, --var-file, plug paths and the
 * workspace are all relative to it); a DIR that is not a directory is a one-line error.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupWorkspaces, deployster, prepare, TIMEOUT, workspace } from "./support";

beforeAll(prepare);
afterAll(cleanupWorkspaces);

describe("-C/--chdir", () => {
  test("plan and apply run as if started in DIR", async () => {
    const outer = workspace();
    const inner = join(outer, "project");
    mkdirSync(join(inner, "site"), { recursive: true });
    writeFileSync(join(inner, "deployster.yaml"), 'plugs:\n  files: {path: ./site}\nresources:\n  f:\n    type: deployster-fixture/rt-file\n    config: {path: out.txt, content: "{{ word }}"}\n');
    writeFileSync(join(inner, "vars.yaml"), "word: from-project\n");
    const plan = await deployster(["plan", "-C", "project", "--var-file", "vars.yaml", "--detailed-exitcode"], { cwd: outer });
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("f  STALE");
    const apply = await deployster(["apply", "--chdir=project", "--var-file", "vars.yaml", "-y", "deployster.yaml"], { cwd: outer });
    expect(apply.code).toBe(0);
    expect(readFileSync(join(inner, "site/out.txt"), "utf8")).toBe("from-project");
    // the work dir defaults to DIR's .deployster/work
    expect(readdirSync(join(inner, ".deployster/work"))).toContain("f");
  }, TIMEOUT);

  test("a DIR that is not a directory is a clear error", async () => {
    const ws = workspace();
    const r = await deployster(["plan", "-C", "nowhere"], { cwd: ws });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: -C/--chdir: 'nowhere' is not a directory\n");
  }, TIMEOUT);
});

