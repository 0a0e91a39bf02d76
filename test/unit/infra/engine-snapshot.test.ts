import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareSnapshots, digestTree } from "../../support/engine-snapshot";

const dir = mkdtempSync(join(tmpdir(), "deployster-snapshot-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a volume digest changes when a file is rewritten (even with its size and mtime kept), added or removed", () => {
  writeFileSync(join(dir, "a"), "one");
  utimesSync(join(dir, "a"), 1000, 1000);
  const first = digestTree(dir);
  expect(digestTree(dir)).toBe(first);
  writeFileSync(join(dir, "a"), "two");
  utimesSync(join(dir, "a"), 1000, 1000);
  const second = digestTree(dir);
  expect(second).not.toBe(first);
  writeFileSync(join(dir, "b"), "");
  expect(digestTree(dir)).not.toBe(second);
  rmSync(join(dir, "b"));
  expect(digestTree(dir)).toBe(second);
});

test("compareSnapshots names what is gone or changed, and ignores what is new", () => {
  const before = { "container:1": "x", "volume:v": "d1", "image:a:1": "sha" };
  const now = { "container:1": "x", "volume:v": "d2", "container:2": "new" };
  expect(compareSnapshots(before, now)).toEqual(["volume:v: d1 → d2", "image:a:1: sha → (gone)"]);
  expect(compareSnapshots(before, before)).toEqual([]);
});
