import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { parseSimpleYaml, scanSimpleYaml } from "../../../src/manifest/fast-yaml";
import { parseWithPositions, parseYamlText } from "../../../src/manifest/yaml";

const ROOT = join(import.meta.dir, "../../..");

/** What the `yaml` library makes of a text (as the manifest loader calls it), or "error". */
function slow(text: string): unknown {
  try {
    return parse(text, { uniqueKeys: true, maxAliasCount: 1000 });
  } catch {
    return "error";
  }
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

// Texts the fast path must refuse (the two parsers differ on them, or they are errors).
const REFUSED = [
  "a: 1\na: 2",
  "a:\n  b: 1\n  'b': 2",
  "a: {b: 1, b: 2}",
  "a: [{b: 1, b: 2}]",
  "base: &b {x: 1}\nc: {<<: *b, y: 2}",
  "a: &x 1\nb: *x",
  "a: !!int '3'",
  "? [a]\n: 1",
  "[a]: 1",
  "a: 1\n---\nb: 2",
  "%YAML 1.2\n---\na: 1",
  "~: 1",
  "null: 1",
  ": 1",
  "a: {{ x }}",
  "a: {b: 1,\n  c: 2}",
  "a: 'x\n  y'",
  "a: \"x\\ty\"",
  "a: b: c",
  "a:\tb",
  "\uFEFFa: 1",
  "a: plain\n  continued",
  "- - a",
  "a: [,]",
  "a: |\n  x\nb: 1\nb: 2",
  "1: a\n1.0: b",
  "a:\n  True: 1\n  true: 2",
  "a: {1: x}",
];

// Texts inside the subset.
const ACCEPTED = [
  "",
  "# only a comment",

  "a: 1",
  "a: yes\nb: on\nc: 017\nd: 0o17\ne: 0x1F\nf: ~\ng: .inf\nh: -.Inf\ni: 1e3\nj: True\nk: 2001-12-14\nl: '1'\nm: 12:30\nn: -1.5",
  "a: 12345678901234567890",
  "a: {b: }\nc: {d}\ne: [f: 1]",
  "a: 'it''s' # comment\nb: \"{{ x }}\"\nc: x#y",
  "a: 1\r\nb: 2\r\n",
  "a:\n  - b: 1\n    c: 2\n  - b: 3\n    c: 4\nd:\n- 1\n- 2\ne: 3",
  "a: |\n  b: 1\n  b: 1\nc: >-\n  x\n  y\n",
  "resources:\n  web:\n    type: deployster/docker-service\n    dependencies: { net: net }\n    config:\n      image: \"{{ registry }}/web:1\"\n      env: { A: \"1\", B: x }\n      ports: [80, \"81/udp\"]\n      labels: { deployster.test: t }\n",
  "a: [1, [2, 3], {b: [4]}]\nc: 'quoted: colon'\nd: \"#not a comment\"",
  "a:\n  b:\n    c: 1\n  d: 2\nb:\n  c: 1",
];

describe("the YAML fast path (Bun's parser within a subset)", () => {
  test.each(REFUSED)("refuses %j", (text) => {
    expect(scanSimpleYaml(text)).toBeUndefined();
  });

  test.each(ACCEPTED)("accepts %j, with the value of the yaml library", (text) => {
    expect(scanSimpleYaml(text)).toBeDefined();
    expect(parseSimpleYaml(text)!.value).toEqual(slow(text));
  });

  test("every YAML file of the repository: where the fast path is taken, the value is the yaml library's", () => {
    let taken = 0;
    const files = [...yamlFiles(join(ROOT, "fixtures")), ...yamlFiles(join(ROOT, "test"))];
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      const fast = parseSimpleYaml(text);
      if (!fast) continue;
      taken++;
      expect({ f, v: fast.value }).toEqual({ f, v: slow(text) });
    }
    expect(taken).toBeGreaterThan(files.length / 2);
  });

  test("key positions from the scan are the yaml library's (every plug and resource of the repository's files)", () => {
    let compared = 0;
    for (const f of [...yamlFiles(join(ROOT, "fixtures")), ...yamlFiles(join(ROOT, "test"))]) {
      const text = readFileSync(f, "utf8");
      const fast = parseSimpleYaml(text);
      if (!fast?.value || typeof fast.value !== "object") continue;
      const slowFile = parseWithPositions(text, f, "manifest");
      for (const section of ["plugs", "resources"]) {
        const entries = (fast.value as Record<string, unknown>)[section];
        if (!entries || Array.isArray(entries)) continue; // not a map (an error the loader reports): positions come from the yaml library
        for (const name of Object.keys(entries)) {
          const known = fast.positions.get(JSON.stringify([section, name]))!;
          expect(`${f}:${known.line}:${known.col}`).toBe(slowFile.locate([section], name));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(50);
  });

  test("a fast-parsed file still locates problems (positions come from the yaml library, on demand)", () => {
    const text = "resources:\n  web:\n    type: x\n    config:\n      image: 3\n";
    const f = parseYamlText(text, "m.yaml", "manifest");
    expect(f.value).toEqual({ resources: { web: { type: "x", config: { image: 3 } } } });
    expect(f.locate(["resources", "web", "config", "image"])).toBe("m.yaml:5:14");
  });
});
