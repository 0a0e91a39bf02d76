/**
 * openapi.json's name and timestamp patterns are written by hand: they must accept exactly
 * what the code's NAME_PATTERN and TIMESTAMP_PATTERN accept (request timestamps also accept
 * "", which means absent), so the document never promises more or less than serve checks.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NAME_PATTERN, TIMESTAMP_PATTERN } from "../../../src/api/v1";

const doc = JSON.parse(readFileSync(join(import.meta.dir, "../../../src/server/openapi.json"), "utf8"));

/** Every schema `pattern` in the document, with where it is and the field it describes. */
function patterns(node: unknown, path: string[] = [], out: { where: string; field: string; pattern: RegExp }[] = []) {
  if (Array.isArray(node)) {
    for (const [i, v] of node.entries()) patterns(v, [...path, String(i)], out);
  } else if (node && typeof node === "object") {
    const o = node as Record<string, unknown>;
    if (typeof o.pattern === "string") out.push({ where: path.join("/"), field: fieldOf(path), pattern: new RegExp(o.pattern) });
    for (const [k, v] of Object.entries(o)) patterns(v, [...path, k], out);
  }
  return out;
}

/** The field a schema describes: a property's name, or a parameter's `name`. */
function fieldOf(path: string[]): string {
  const i = path.lastIndexOf("properties");
  if (i >= 0 && i === path.length - 2) return path[i + 1]!;
  if (path.at(-1) === "schema" && path.at(-3) === "parameters") {
    const ops = path.slice(0, -1).reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], doc) as { name?: string };
    return ops.name ?? "";
  }
  return "";
}

const all = patterns(doc);
const timestamps = ["", "2026.11.29-21.05.09", "2026.11.29-21.05.9", "2026-11-29-21.05.09", "2026.11.29 21.05.09", " 2026.11.29-21.05.09", "2026.11.29-21.05.09\n", "x"];
const names = ["app", "a", "A-b_c.9", "-app", ".app", "a/b", "a b", "x".repeat(128), "x".repeat(129), "", "ä"];

describe("openapi.json's hand-written patterns agree with the code", () => {
  test("every timestamp field or parameter accepts what TIMESTAMP_PATTERN does (requests: also empty)", () => {
    const fields = all.filter((p) => /timestamp$/.test(p.field));
    expect(fields.length).toBeGreaterThanOrEqual(5);
    for (const p of fields) {
      const request = p.pattern.test("");
      const want = timestamps.map((s) => (s === "" ? request : TIMESTAMP_PATTERN.test(s)));
      expect([p.where, timestamps.map((s) => p.pattern.test(s))]).toEqual([p.where, want]);
    }
  });

  test("every service name and version accepts what NAME_PATTERN does", () => {
    const fields = all.filter((p) => p.field === "name" || p.field === "version");
    expect(fields.length).toBeGreaterThanOrEqual(8);
    for (const p of fields) expect([p.where, names.map((s) => p.pattern.test(s))]).toEqual([p.where, names.map((s) => NAME_PATTERN.test(s))]);
  });
});
