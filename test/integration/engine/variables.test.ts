/**
 * Variables through the binary: auto files in the conf dir then the workspace, --var
 * overriding them, vars.notauto.yaml ignored, variables files referring
 * to earlier variables with native types, expression syntax errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { byName, cleanupWorkspaces, deployster, engineLeftovers, planDoc, prepare, TIMEOUT, workspace } from "./support";

beforeAll(prepare, TIMEOUT);
afterAll(async () => {
  cleanupWorkspaces();
  expect(await engineLeftovers()).toEqual([]);
});

describe("variables", () => {
  test.concurrent("auto files, --var, --var-file with native types, command-line order", async () => {
    const root = workspace("variables");
    const cwd = join(root, "ws");
    const r = await deployster(["plan", "--json", "--var", "overridden_by_cli=cli", "--var-file", "more.yaml", "--var", "empty="], { cwd, confDir: join(root, "conf") });
    expect(r.code).toBe(0);
    const value = (n: string) => byName(planDoc(r))[n].state.value;
    expect(value("from-conf")).toBe("conf");
    expect(value("ws-wins")).toBe("workspace");
    expect(value("cli-wins")).toBe("cli");
    expect(value("native")).toBe("3"); // n is the integer 2 (a string "2" would give "21")
    expect(value("label")).toBe("n is 2");
    expect(value("not-auto")).toBe("absent");
    expect(value("empty-var")).toBe("[]");
  }, TIMEOUT);

  test.concurrent("a later --var-file wins over an earlier --var", async () => {
    const root = workspace("variables");
    const r = await deployster(["plan", "--json", "--var", "n=40", "--var-file", "more.yaml", "--var", "empty=x", "--var", "overridden_by_cli=c"], {
      cwd: join(root, "ws"),
      confDir: join(root, "conf"),
    });
    expect(byName(planDoc(r)).native.state.value).toBe("3");
  }, TIMEOUT);

  test.concurrent("a missing conf dir is skipped; an undefined variable fails only its resources", async () => {
    const root = workspace("variables");
    const r = await deployster(["plan", "--json"], { cwd: join(root, "ws"), confDir: join(root, "no-such-conf") });
    expect(r.code).toBe(1);
    const res = byName(planDoc(r));
    expect(res["ws-wins"].state.value).toBe("workspace");
    expect(res["from-conf"].error.message).toBe("resources.from-conf.config.value: undefined variable 'from_conf' (in '{{ from_conf }}')");
  }, TIMEOUT);

  test.concurrent("syntax errors in a variables file are one clear error", async () => {
    const root = workspace("variables");
    const r = await deployster(["plan", "--var-file", "bad-syntax.yaml"], { cwd: join(root, "ws"), confDir: join(root, "conf") });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: variables file 'bad-syntax\.yaml': broken: unexpected token: .* \(in '\{\{ prev_n \+ \}\}'\)\n$/);
  }, TIMEOUT);
});
