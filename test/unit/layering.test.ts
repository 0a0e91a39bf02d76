/**
 * The layering of src/ (README, "Layout"): every import between top-level parts of src/ (a
 * folder, or a file directly in src/) must be allowed by LAYERS below, and no two parts may
 * import each other, directly or through others. Type-only and dynamic imports count too.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const SRC = resolve(import.meta.dir, "../../src");

/** Leaves import nothing of ours but other leaves. */
const LEAVES = ["errors", "version", "sleep", "duration", "shutdown", "paths", "exit-codes", "schema", "docker", "api"];

/**
 * The one table: part → the parts it may import (besides itself). From the bottom:
 * leaves ← manifest ← context ← engine ← resource-types, ui ← commands ← cli ← main;
 * server and client import leaves only (docker, the v1 wire types).
 */
const LAYERS: Record<string, string[]> = {
  ...Object.fromEntries(LEAVES.map((leaf) => [leaf, LEAVES])),
  manifest: [...LEAVES],
  context: [...LEAVES, "manifest"],
  engine: [...LEAVES, "manifest", "context"],
  "resource-types": [...LEAVES, "manifest", "context", "engine"],
  ui: [...LEAVES, "manifest", "context", "engine"],
  server: [...LEAVES],
  client: [...LEAVES],
  commands: [...LEAVES, "manifest", "context", "engine", "resource-types", "ui", "server", "client"],
  cli: [...LEAVES, "commands"],
  main: [...LEAVES, "commands", "cli"],
};

/** Relative module specifiers in TypeScript source: import/export ... from, import(), bare import, require(). */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[\w*{}\s,$]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /^\s*import\s+["']([^"']+)["']/gm,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  const found = new Set<string>();
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.add(m[1]!);
  return [...found].filter((s) => s.startsWith("./") || s.startsWith("../"));
}

/** The top-level part of src/ a path belongs to (`engine`, `cli`, ...), or undefined outside src/. */
export function partOf(path: string): string | undefined {
  const rel = relative(SRC, path);
  if (rel.startsWith("..") || rel === "") return undefined;
  const [first, ...rest] = rel.split(sep);
  return rest.length > 0 ? first : first!.replace(/\.(tsx?|json)$/, "");
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

interface Edge {
  from: string;
  to: string;
  file: string;
  specifier: string;
}

function crossPartImports(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = partOf(file)!;
    for (const specifier of importSpecifiers(readFileSync(file, "utf8"))) {
      const to = partOf(resolve(dirname(file), specifier));
      if (to !== undefined && to !== from) edges.push({ from, to, file: relative(SRC, file), specifier });
    }
  }
  return edges;
}

/** The source file a relative specifier names (`./x` → x.ts, x.tsx or x/index.ts), or undefined (e.g. JSON). */
function sourceFileOf(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  return [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts"), join(base, "index.tsx")].find((f) => /\.tsx?$/.test(f) && existsSync(f));
}

/** Every import between two source files of src/. */
function fileImports(): { from: string; to: string }[] {
  return sourceFiles(SRC).flatMap((file) =>
    importSpecifiers(readFileSync(file, "utf8")).flatMap((specifier) => {
      const to = sourceFileOf(file, specifier);
      return to ? [{ from: relative(SRC, file), to: relative(SRC, to) }] : [];
    }),
  );
}

/** Every cycle between parts, each as a chain that ends where it starts. */
export function findPartCycles(edges: { from: string; to: string }[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) next.set(from, (next.get(from) ?? new Set()).add(to));
  const cycles: string[][] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]) => {
    if (path.includes(node)) {
      cycles.push([...path.slice(path.indexOf(node)), node]);
      return;
    }
    if (done.has(node)) return;
    for (const to of next.get(node) ?? []) visit(to, [...path, node]);
    done.add(node);
  };
  for (const node of next.keys()) visit(node, []);
  return cycles;
}

describe("layering of src/", () => {
  const edges = crossPartImports();

  test("the import scanner sees every kind of import (and no comment)", () => {
    const source = [
      'import { a } from "./a";',
      'import type { B } from "../b/index";',
      "import {\n  c,\n  type D,\n} from './c';",
      'export { e } from "./e";',
      'export * from "./f";',
      'const g = await import("./g");',
      'import "./h";',
      'const i = require("./i");',
      '// import { no } from "./commented";',
      '/* import { no } from "./block"; */',
      'import { cac } from "cac";',
    ].join("\n");
    expect(importSpecifiers(source).sort()).toEqual(["../b/index", "./a", "./c", "./e", "./f", "./g", "./h", "./i"]);
  });

  test("the cycle finder finds cycles, direct and through others", () => {
    expect(findPartCycles([{ from: "a", to: "b" }, { from: "b", to: "c" }])).toEqual([]);
    expect(findPartCycles([{ from: "a", to: "b" }, { from: "b", to: "a" }])).toEqual([["a", "b", "a"]]);
    expect(findPartCycles([{ from: "a", to: "b" }, { from: "b", to: "c" }, { from: "c", to: "a" }])).toEqual([["a", "b", "c", "a"]]);
  });

  test("it sees the imports of the tree (a broken scanner would pass everything)", () => {
    expect(edges.some((e) => e.from === "commands" && e.to === "engine")).toBe(true);
    expect(edges.some((e) => e.from === "engine" && e.to === "manifest")).toBe(true);
  });

  test("every top-level part of src/ has its place in the table", () => {
    const parts = new Set(sourceFiles(SRC).map((f) => partOf(f)!));
    expect([...parts].filter((p) => !(p in LAYERS))).toEqual([]);
  });

  test("no import against the layering", () => {
    const against = edges.filter((e) => !(LAYERS[e.from] ?? []).includes(e.to)).map((e) => `${e.file}: ${e.from} imports ${e.to} ("${e.specifier}")`);
    expect(against).toEqual([]);
  });

  test("no import cycle between top-level parts", () => {
    expect(findPartCycles(edges)).toEqual([]);
  });

  test("no import cycle between files either (type-only imports included)", () => {
    const files = fileImports();
    expect(files.length).toBeGreaterThan(300);
    expect(findPartCycles(files)).toEqual([]);
  });
});
