import { describe, expect, test } from "bun:test";
import { diffValues, formatChanges, flatten } from "../../../src/resource-types/builtin/common/diff";
import { parseDurationMs } from "../../../src/resource-types/builtin/common/duration";
import { hashSpec, shortId, stableStringify } from "../../../src/resource-types/builtin/common/hash";
import { BurstCache } from "../../../src/resource-types/builtin/common/burst-cache";
import { Masker } from "../../../src/resource-types/builtin/common/mask";
import { createPullProgress } from "../../../src/resource-types/builtin/common/pull";
import { splitCommand } from "../../../src/resource-types/builtin/container/split-command";

describe("stableStringify / hashSpec", () => {
  test("key order and undefined members do not matter", () => {
    expect(stableStringify({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
    expect(hashSpec({ a: 1, b: 2 })).toBe(hashSpec({ b: 2, a: 1, c: undefined }));
    expect(hashSpec({ a: 1 })).not.toBe(hashSpec({ a: "1" }));
  });
  test("shortId", () => {
    expect(shortId("sha256:0123456789abcdef0123")).toBe("0123456789ab");
    expect(shortId(undefined)).toBe("?");
  });
});

describe("parseDurationMs", () => {
  test("numbers are seconds; units ms s m h; combinations", () => {
    expect(parseDurationMs(2)).toBe(2000);
    expect(parseDurationMs("1.5")).toBe(1500);
    expect(parseDurationMs("500ms")).toBe(500);
    expect(parseDurationMs("1m30s")).toBe(90_000);
    expect(parseDurationMs("1h")).toBe(3_600_000);
    expect(() => parseDurationMs("5 minutes")).toThrow(/invalid duration/);
  });
});

describe("diff", () => {
  test("flatten gives leaf paths; odd keys are bracketed", () => {
    const f = flatten({ image: "a", env: { X: "1" }, labels: { "deployster.test": "builtin" }, command: ["sh", "-c"] });
    expect([...f.entries()]).toEqual([
      ["command", '["sh","-c"]'],
      ["env.X", "1"],
      ["image", "a"],
      ['labels["deployster.test"]', "builtin"],
    ]);
  });
  test("changes name the fields, not whole objects", () => {
    const before = { image: "web:1", env: { LOG_LEVEL: "info", KEEP: "x", OLD: "1" } };
    const after = { image: "web:2", env: { LOG_LEVEL: "debug", KEEP: "x", NEW: "" } };
    expect(formatChanges(diffValues(before, after))).toBe(
      'env.LOG_LEVEL: info → debug; env.NEW: (unset) → ""; env.OLD: 1 → (unset); image: web:1 → web:2',
    );
  });
  test("long change lists are cut", () => {
    const before = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, "a"]));
    const after = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, "b"]));
    expect(formatChanges(diffValues(before, after), 3)).toEndWith("and 9 more");
  });
});

describe("Masker", () => {
  test("masks every occurrence, longest secret first, ignores very short secrets", () => {
    const m = new Masker(["hunter2", "hunter2-long", "ab"]);
    expect(m.mask("pw=hunter2-long and hunter2, ab")).toBe("pw=*** and ***, ab");
  });
  test("maskError rewrites the message of the same error", () => {
    const err = new Error("bad value s3cr3t!");
    const out = new Masker(["s3cr3t!"]).maskError(err) as Error;
    expect(out).toBe(err);
    expect(out.message).toBe("bad value ***");
  });
});

describe("splitCommand", () => {
  test("shell-like words without expansion", () => {
    expect(splitCommand(`sh -c 'echo "$X" done'`)).toEqual(["sh", "-c", 'echo "$X" done']);
    expect(splitCommand(`a "b \\"c\\"" d\\ e ''`)).toEqual(["a", 'b "c"', "d e", ""]);
    expect(() => splitCommand(`a 'b`)).toThrow(/unterminated/);
  });
});

describe("pull progress", () => {
  test("status changes are shown, repeated progress at most once a second", () => {
    const lines: string[] = [];
    let now = 0;
    const on = createPullProgress((l) => lines.push(l), () => now);
    on({ status: "Pulling from x/web", id: "2" });
    on({ status: "Pulling fs layer", id: "abc" });
    on({ status: "Downloading", id: "abc", progressDetail: { current: 1000, total: 5_000_000 } });
    now = 200;
    on({ status: "Downloading", id: "abc", progressDetail: { current: 2000, total: 5_000_000 } });
    now = 1500;
    on({ status: "Downloading", id: "abc", progressDetail: { current: 2_500_000, total: 5_000_000 } });
    on({ status: "Pull complete", id: "abc" });
    on({ status: "Status: Downloaded newer image for x/web:2" });
    expect(lines).toEqual([
      "2: Pulling from x/web",
      "abc: Pulling fs layer",
      "abc: Downloading 1.0kB/5.0MB",
      "abc: Downloading 2.5MB/5.0MB",
      "abc: Pull complete",
      "Status: Downloaded newer image for x/web:2",
    ]);
  });
});

describe("BurstCache", () => {
  test("shares a query within the window, forgets failures, clears around actions", async () => {
    let now = 0;
    const cache = new BurstCache(1000, () => now);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get("k", load)).toBe(1);
    expect(await cache.get("k", load)).toBe(1);
    now = 1500;
    expect(await cache.get("k", load)).toBe(2);
    await cache.around(async () => {});
    expect(await cache.get("k", load)).toBe(3);
    await expect(cache.get("bad", () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(await cache.get("bad", load)).toBe(4);
  });
});
