import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildContext } from "../../../src/context/index";
import { ValidationError } from "../../../src/errors";
import { loadManifests } from "../../../src/manifest/index";

const root = mkdtempSync(join(tmpdir(), "deployster-manifest-"));
let n = 0;
function file(text: string): string {
  const p = join(root, `m${++n}.yaml`);
  writeFileSync(p, text);
  return p;
}
async function load(texts: string[], vars: Record<string, string> = {}) {
  const context = await buildContext({
    env: { CONF_DIR: join(root, "conf"), HOME: root },
    cwd: root,
    sources: Object.entries(vars).map(([name, value]) => ({ kind: "var" as const, name, value })),
  });
  return loadManifests(texts.map(file), context, { displayBase: root });
}
async function problems(texts: string[]): Promise<string> {
  try {
    await load(texts);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a failure");
}

describe("format", () => {
  test("{} and an empty file are valid and do nothing", async () => {
    const m = await load(["{}", ""]);
    expect(m.resources).toEqual({});
    expect(m.plugs).toEqual({});
  });

  test("defaults, and config is kept raw at load", async () => {
    const m = await load([`resources:\n  web:\n    type: img\n    config:\n      a: "{{ later.state.x }}"\n`]);
    expect(m.resources.web).toMatchObject({ name: "web", type: "img", readonly: false, dependencies: {}, config: { a: "{{ later.state.x }}" } });
    expect(m.resources.web.source).toMatch(/^m\d+\.yaml:2:3$/);
  });

  test("plug paths expand ~ and are absolute against the workspace", async () => {
    const m = await load([`plugs:\n  a: {path: ./data}\n  b: {path: "~/x", read_only: true, resource_names: [web], resource_types: ["img.*"]}\n`]);
    expect(m.plugs.a).toMatchObject({ path: join(root, "data"), readOnly: false, resourceNames: [], resourceTypes: [] });
    expect(m.plugs.b).toMatchObject({ path: join(root, "x"), readOnly: true, resourceNames: ["web"], resourceTypes: ["img.*"] });
  });

  test("expressions in plug specs, type, readonly and dependencies are evaluated at load", async () => {
    const m = await load(
      [`plugs:\n  p: {path: "/tmp/{{ env }}", read_only: "{{ ro == 'yes' }}"}\nresources:\n  a: {type: "img:{{ env }}"}\n  b:\n    type: img\n    readonly: "{{ ro == 'yes' }}"\n    dependencies: {dep: "{{ target }}"}\n`],
      { env: "qa", ro: "yes", target: "a" },
    );
    expect(m.plugs.p).toMatchObject({ path: "/tmp/qa", readOnly: true });
    expect(m.resources.a.type).toBe("img:qa");
    expect(m.resources.b).toMatchObject({ readonly: true, dependencies: { dep: "a" } });
  });
});

describe("problems", () => {
  test("duplicates across files name the duplicate", async () => {
    const msg = await problems([`plugs: {p: {path: /a}}\nresources: {r1: {type: x}}\n`, `plugs: {p: {path: /b}}\nresources: {r1: {type: y}}\n`]);
    expect(msg).toContain("Duplicate plug found: 'p'");
    expect(msg).toContain("Duplicate resource found: 'r1'");
  });

  test("plugs given as a list is a validation error naming the manifest", async () => {
    const msg = await problems([`plugs:\n  - path: /a\n`]);
    expect(msg).toMatch(/invalid manifest:\n {2}- m\d+\.yaml:2:3: plugs: must be a mapping \(got a list\)/);
  });

  test("malformed YAML names the file, line and column", async () => {
    const msg = await problems([`resources:\n  web:\n    type: [a,\n`]);
    expect(msg).toMatch(/^m\d+\.yaml:\d+:\d+: malformed manifest: /);
  });

  test("an unknown dependency names both resources", async () => {
    const msg = await problems([`resources:\n  r2: {type: x, dependencies: {d: r3}}\n`]);
    expect(msg).toContain("resource 'r2' depends on an unknown resource: r3");
  });

  test("every problem is collected, each with its path and position", async () => {
    const err = await load([
      `resources:\n  web:\n    type: 3\n    dependencies: [a]\n    extra: 1\n  "bad name": {type: x}\n  nameless: {}\nother: 1\n`,
      `plugs:\n  p: {read_only: true}\n`,
    ]).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const ps = (err as ValidationError).problems;
    const has = (re: RegExp) => expect(ps.some((p) => re.test(p))).toBe(true);
    has(/:3:11: resources\.web\.type: must be a string \(got a number 3\)/);
    has(/:4:19: resources\.web\.dependencies: must be a mapping \(got a list\)/);
    has(/:5:5: resources\.web: unknown key 'extra'/);
    has(/resources: invalid name 'bad name'/);
    has(/resources\.nameless: missing required key 'type'/);
    has(/\(top level\): unknown key 'other'/);
    has(/plugs\.p: missing required key 'path'/);
    expect(ps.length).toBe(7);
  });

  test("evaluated values are checked after evaluation", async () => {
    const msg = await problems([`resources:\n  a: {type: x, readonly: "{{ 'no' }}"}\n  b: {type: "{{ nope }}"}\n  c: {type: x, dependencies: {"{{ 'bad alias' }}": a}}\n`]);
    expect(msg).toContain("resources.a.readonly: must be a boolean (got a string \"no\")");
    expect(msg).toContain("resources.b.type: undefined variable 'nope'");
    expect(msg).toContain("invalid alias 'bad alias'");
  });

  test("invalid plug patterns", async () => {
    expect(await problems([`plugs:\n  p: {path: /a, resource_names: ["("]}\n`])).toContain("plugs.p.resource_names[0]: invalid regular expression '('");
  });

  test("cycles are reported with the chain before anything runs", async () => {
    expect(await problems([`resources:\n  a: {type: x, dependencies: {b: b}}\n  b: {type: x, dependencies: {a: a}}\n`])).toBe("dependency cycle: a -> b -> a");
    expect(await problems([`resources:\n  a: {type: x, dependencies: {me: a}}\n`])).toBe("dependency cycle: a -> a");
    expect(
      await problems([`resources:\n  x: {type: x}\n  a: {type: x, dependencies: {b: b, x: x}}\n  b: {type: x, dependencies: {c: c}}\n  c: {type: x, dependencies: {a: a}}\n`]),
    ).toBe("dependency cycle: a -> b -> c -> a");
  });

  test("a missing manifest file", async () => {
    const context = await buildContext({ env: { CONF_DIR: root, HOME: root }, cwd: root });
    await expect(loadManifests([join(root, "nope.yaml")], context, { displayBase: root })).rejects.toThrow("manifest 'nope.yaml' not found");
  });
});
