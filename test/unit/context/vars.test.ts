import { describe, expect, test } from "bun:test";
import { deepMerge, orderVarSources, parseVarAssignment } from "../../../src/context/vars";

describe("--var", () => {
  test("splits on the first '=' and strips one pair of double quotes", () => {
    expect(parseVarAssignment("a=b=c")).toEqual({ name: "a", value: "b=c" });
    expect(parseVarAssignment('a="quoted"')).toEqual({ name: "a", value: "quoted" });
    expect(parseVarAssignment('a=""x""')).toEqual({ name: "a", value: '"x"' });
    expect(parseVarAssignment("n=1")).toEqual({ name: "n", value: "1" });
  });
  test("`a=` is an empty string", () => {
    expect(parseVarAssignment("a=")).toEqual({ name: "a", value: "" });
  });
  test("no '=' is a clear error", () => {
    expect(() => parseVarAssignment("oops")).toThrow("invalid --var 'oops': expected NAME=VALUE");
    expect(() => parseVarAssignment("=x")).toThrow("expected NAME=VALUE");
  });
});

describe("command-line order of --var and --var-file", () => {
  test("recovered from the raw arguments", () => {
    const raw = ["plan", "--var-file", "f1.yaml", "--var", "a=1", "--var-file=f2.yaml", "--var=b=2", "m.yaml"];
    expect(orderVarSources(["a=1", "b=2"], ["f1.yaml", "f2.yaml"], raw)).toEqual([
      { kind: "file", path: "f1.yaml" },
      { kind: "var", name: "a", value: "1" },
      { kind: "file", path: "f2.yaml" },
      { kind: "var", name: "b", value: "2" },
    ]);
  });
  test("vars then files when the raw arguments do not match", () => {
    expect(orderVarSources(["a=1"], ["f.yaml"], [])).toEqual([
      { kind: "var", name: "a", value: "1" },
      { kind: "file", path: "f.yaml" },
    ]);
  });
});

test("deep merge: dicts merge recursively, everything else replaces", () => {
  expect(deepMerge({ a: { x: 1, y: [1] }, b: 1 }, { a: { y: [2], z: 3 }, c: 2 })).toEqual({ a: { x: 1, y: [2], z: 3 }, b: 1, c: 2 });
  expect(deepMerge({ a: { x: 1 } }, { a: "s" })).toEqual({ a: "s" });
});
