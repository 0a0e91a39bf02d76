import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { classifyString, createEvaluator, createPendingDependency, ExpressionError, PendingDependencyError } from "../../../src/context/expressions";

const workspace = mkdtempSync(join(tmpdir(), "deployster-expr-"));
writeFileSync(join(workspace, "part.txt"), "included {{ who }}");
const ev = createEvaluator({ workspace });
const e = (s: string, vars: Record<string, unknown> = {}) => ev.evaluateString(s, vars, "config.x");

describe("evaluation modes", () => {
  test("classification", () => {
    expect(classifyString("{{ a }}")).toBe("expression");
    expect(classifyString("{{ a }} and {{ b }}")).toBe("template");
    expect(classifyString("x {{ a }}")).toBe("template");
    expect(classifyString("{% if a %}b{% endif %}")).toBe("template");
    expect(classifyString("3+4")).toBe("plain");
  });

  test("a whole-string expression returns its native value", () => {
    expect(e("{{ 1 + 2 }}")).toBe(3);
    expect(e("{{ (2+3) | string }}")).toBe("5");
    expect(e("{{ true }}")).toBe(true);
    expect(e("{{ True }}")).toBe(true);
    expect(e("{{ none }}")).toBeNull();
    expect(e("{{ [1, 2] }}")).toEqual([1, 2]);
    expect(e("{{ {'a': x} }}", { x: 1 })).toEqual({ a: 1 });
    expect(e("{{ x }}", { x: { deep: [1] } })).toEqual({ deep: [1] });
    expect(e("{{ s }}", { s: "text" })).toBe("text");
    expect(e("{{ s | upper }}", { s: "text" })).toBe("TEXT");
  });

  test("a template renders to a string", () => {
    expect(e("a{{1+2}}b")).toBe("a3b");
    expect(e("{{ 1 }}{{ 2 }}")).toBe("12");
    expect(e("{% for i in xs %}{{ i }},{% endfor %}", { xs: [1, 2] })).toBe("1,2,");
    expect(e("{% for k, v in m.items() %}{{ k }}={{ v }};{% endfor %}", { m: { a: 1 } })).toBe("a=1;");
  });

  test("anything else is unchanged", () => {
    expect(e("3+4")).toBe("3+4");
    expect(e("")).toBe("");
  });

  test("include resolves against the workspace", () => {
    expect(e("{% include 'part.txt' %}", { who: "me" })).toBe("included me");
  });

  test("nested dicts and lists; keys are never evaluated", () => {
    const v = ev.evaluate({ "{{ k }}": ["{{ 1 + 1 }}", { n: "{{ n }}", t: "n={{ n }}" }], plain: 4, b: false }, { n: 7, k: "no" });
    expect(v).toEqual({ "{{ k }}": [2, { n: 7, t: "n=7" }], plain: 4, b: false });
  });
});

describe("undefined variables are errors", () => {
  test("in expressions and templates, naming the variable and the path", () => {
    expect(() => e("{{ missing }}")).toThrow("config.x: undefined variable 'missing'");
    expect(() => e("a {{ missing }}")).toThrow("undefined variable 'missing'");
    expect(() => e("{{ missing + 1 }}")).toThrow("undefined variable 'missing'");
    expect(() => e("{% if missing %}a{% endif %}")).toThrow("undefined variable 'missing'");
  });

  test("undefined attributes too", () => {
    expect(() => e("{{ x.nope }}", { x: {} })).toThrow("undefined attribute 'nope'");
    expect(() => e("a-{{ x.nope }}", { x: {} })).toThrow("undefined attribute 'nope'");
  });

  test("paths of nested values", () => {
    try {
      ev.evaluate({ list: [{ n: "{{ nope }}" }] }, {}, "resources.r.config");
      throw new Error("not thrown");
    } catch (err) {
      expect(err).toBeInstanceOf(ExpressionError);
      expect((err as ExpressionError).path).toBe("resources.r.config.list[0].n");
    }
  });

  test("guards let undefined through: default and is defined", () => {
    expect(e("{{ missing | default('d') }}")).toBe("d");
    expect(e("{{ x.nope | default(3) }}", { x: {} })).toBe(3);
    expect(e("{% if missing is defined %}y{% else %}n{% endif %}")).toBe("n");
  });

  test("syntax errors are clear one-line errors", () => {
    expect(() => e("{{ 1 + }}")).toThrow(/config\.x: .*unexpected token/);
    expect(() => e("{% if %}")).toThrow(ExpressionError);
  });
});

describe("pending dependencies", () => {
  const dep = createPendingDependency({ name: "disk", type: "t" });
  test("name and type are known, state is not", () => {
    expect(e("{{ d.name }}", { d: dep })).toBe("disk");
    expect(e("{{ d.type }}", { d: dep })).toBe("t");
    expect(() => e("{{ d.state.zone }}", { d: dep })).toThrow(PendingDependencyError);
    expect(() => e("zone-{{ d.state.zone }}", { d: dep })).toThrow(PendingDependencyError);
  });
});

describe("{% include %} stays inside the workspace (by real path)", () => {
  const base = mkdtempSync(join(tmpdir(), "deployster-include-"));
  const ws = join(base, "ws");
  mkdirSync(join(ws, "sub"), { recursive: true });
  mkdirSync(join(base, "ws-sibling"));
  writeFileSync(join(base, "ws-sibling", "secret.txt"), "TOP SECRET");
  writeFileSync(join(ws, "part.txt"), "part {{ who }}");
  writeFileSync(join(ws, "sub", "nested.txt"), "nested[{% include '../part.txt' %}]");
  symlinkSync(join(base, "ws-sibling", "secret.txt"), join(ws, "link-out.txt"));
  symlinkSync(join(ws, "part.txt"), join(ws, "link-in.txt"));
  const inc = createEvaluator({ workspace: ws });
  const render = (s: string) => inc.evaluateString(s, { who: "me" }, "config.x");
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  test("files inside it, also through a symlink that stays inside and relative to an included file", () => {
    expect(render("{% include 'part.txt' %}")).toBe("part me");
    expect(render("{% include 'link-in.txt' %}")).toBe("part me");
    expect(render("{% include 'sub/nested.txt' %}")).toBe("nested[part me]");
  });

  test("'../sibling/file' is refused, naming where it leads (the sibling's name shares the workspace's prefix)", () => {
    expect(() => render("{% include '../ws-sibling/secret.txt' %}")).toThrow(
      `config.x: include '../ws-sibling/secret.txt' resolves to ${realpathSync(base)}/ws-sibling/secret.txt, outside the workspace ${realpathSync(ws)}; includes must stay inside the workspace`,
    );
    expect(() => render(`{% include '${base}/ws-sibling/secret.txt' %}`)).toThrow("outside the workspace");
  });

  test("a symlink inside the workspace that points outside is refused", () => {
    expect(() => render("{% include 'link-out.txt' %}")).toThrow(`config.x: include 'link-out.txt' resolves to ${realpathSync(base)}/ws-sibling/secret.txt, outside the workspace`);
  });

  test("a folder is not a file", () => {
    expect(() => render("{% include 'sub' %}")).toThrow("include 'sub' is not a regular file");
  });
});
