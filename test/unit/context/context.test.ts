import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildContext } from "../../../src/context/index";

function dirs() {
  const root = mkdtempSync(join(tmpdir(), "deployster-ctx-"));
  const conf = join(root, "conf");
  const ws = join(root, "ws");
  mkdirSync(conf);
  mkdirSync(ws);
  return { root, conf, ws, env: { CONF_DIR: conf, HOME: root } };
}

describe("built-in variables", () => {
  test("defaults and environment", async () => {
    const d = dirs();
    const context = await buildContext({ env: { ...d.env, WORKSPACE_DIR: d.ws }, cwd: d.root, version: "9.9.9" });
    expect(context.vars).toEqual({ _version: "9.9.9", _verbose: false, _conf: d.conf, _workspace: d.ws, _work: join(d.ws, ".deployster", "work"), _confirm: "ACTION" });
  });
  test("WORK_DIR, --work-dir, -v and -c", async () => {
    const d = dirs();
    const context = await buildContext({ env: { ...d.env, WORK_DIR: "w1" }, cwd: d.ws });
    expect(context.workDir).toBe(join(d.ws, "w1"));
    const ctx2 = await buildContext({ env: { ...d.env, WORK_DIR: "w1" }, cwd: d.ws, workDir: "w2", verbose: true, confirm: "ONCE" });
    expect(ctx2.workDir).toBe(join(d.ws, "w2"));
    expect(ctx2.vars._verbose).toBe(true);
    expect(ctx2.vars._confirm).toBe("ONCE");
  });
  test("CONF_DIR defaults to ~/.deployster", async () => {
    const d = dirs();
    const context = await buildContext({ env: { HOME: d.root }, cwd: d.ws });
    expect(context.confDir).toBe(join(d.root, ".deployster"));
  });
});

describe("auto files and variables", () => {
  test("auto files load (conf dir, then workspace, sorted) and --var overrides them", async () => {
    const d = dirs();
    writeFileSync(join(d.conf, "vars.auto.yaml"), "a: conf\nb: conf\nc: conf\nnested: {x: 1, y: 1}\n");
    writeFileSync(join(d.ws, "vars.1.auto.yaml"), "b: ws1\nnested: {y: 2}\n");
    writeFileSync(join(d.ws, "vars.2.auto.yaml"), "c: ws2\n");
    writeFileSync(join(d.ws, "vars.notauto.yaml"), "ignored: true\n");
    writeFileSync(join(d.ws, "vars.auto.yml"), "ignored2: true\n");
    const context = await buildContext({ env: d.env, cwd: d.ws, sources: [{ kind: "var", name: "c", value: "cli" }] });
    expect(context.vars.a).toBe("conf");
    expect(context.vars.b).toBe("ws1");
    expect(context.vars.c).toBe("cli");
    expect(context.vars.nested).toEqual({ x: 1, y: 2 });
    expect(context.vars.ignored).toBeUndefined();
    expect(context.vars.ignored2).toBeUndefined();
  });
  test("missing directories are skipped", async () => {
    const d = dirs();
    const context = await buildContext({ env: { CONF_DIR: join(d.root, "nope"), HOME: d.root }, cwd: join(d.root, "also-nope") });
    expect(context.vars._conf).toBe(join(d.root, "nope"));
  });
  test("var files see earlier variables with native types, in command-line order", async () => {
    const d = dirs();
    writeFileSync(join(d.ws, "one.yaml"), "prev_n: 1\nlist: [1]\n");
    writeFileSync(join(d.ws, "two.yaml"), "n: '{{ prev_n + 1 }}'\nlabel: 'n-{{ prev_n }}'\nfrom_cli: '{{ cli }}'\ncount: '{{ list | length }}'\n");
    const context = await buildContext({
      env: d.env,
      cwd: d.ws,
      sources: [
        { kind: "file", path: "one.yaml" },
        { kind: "var", name: "cli", value: "x" },
        { kind: "file", path: "two.yaml" },
      ],
    });
    expect(context.vars.n).toBe(2);
    expect(context.vars.label).toBe("n-1");
    expect(context.vars.from_cli).toBe("x");
    expect(context.vars.count).toBe(1);
  });
  test("a var file is evaluated against the context before it, not itself", async () => {
    const d = dirs();
    writeFileSync(join(d.ws, "self.yaml"), "a: 1\nb: '{{ a }}'\n");
    await expect(buildContext({ env: d.env, cwd: d.ws, sources: [{ kind: "file", path: "self.yaml" }] })).rejects.toThrow(
      "variables file 'self.yaml': b: undefined variable 'a'",
    );
  });
  test("syntax errors and bad files are clear errors", async () => {
    const d = dirs();
    writeFileSync(join(d.ws, "bad-expr.yaml"), "a: '{{ 1 + }}'\n");
    writeFileSync(join(d.ws, "bad-yaml.yaml"), "a: [1,\n");
    writeFileSync(join(d.ws, "list.yaml"), "- 1\n");
    const load = (path: string) => buildContext({ env: d.env, cwd: d.ws, sources: [{ kind: "file", path }] });
    await expect(load("bad-expr.yaml")).rejects.toThrow(/variables file 'bad-expr.yaml': a: unexpected token/);
    await expect(load("bad-yaml.yaml")).rejects.toThrow(/^bad-yaml.yaml:\d+:\d+: malformed variables file/);
    await expect(load("list.yaml")).rejects.toThrow("must contain a mapping");
    await expect(load("missing.yaml")).rejects.toThrow("variables file 'missing.yaml' not found");
  });
});
