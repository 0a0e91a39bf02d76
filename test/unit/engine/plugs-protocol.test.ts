import { describe, expect, test } from "bun:test";
import type { PlugSpec } from "../../../src/manifest/index";
import { isPlugAllowed, resolvePlugs } from "../../../src/engine/plugs";
import { validateConfig, validateInitResult, validateStateResult, withActionDefaults } from "../../../src/engine/protocol";

const plug = (name: string, o: Partial<PlugSpec> = {}): PlugSpec => ({ name, path: `/host/${name}`, readOnly: false, resourceNames: [], resourceTypes: [], source: "m.yaml", ...o });

describe("plug permissions", () => {
  const cases: [Partial<PlugSpec>, string, string, boolean][] = [
    [{}, "web", "img", true],
    [{ resourceNames: ["web"] }, "web", "img", true],
    [{ resourceNames: ["web"] }, "webby", "img", true], // anchored at the start only
    [{ resourceNames: ["eb"] }, "web", "img", false],
    [{ resourceNames: ["db"] }, "web", "img", false],
    [{ resourceTypes: ["registry:5000/img"] }, "web", "registry:5000/img:1", true],
    [{ resourceTypes: ["other"] }, "web", "img", false],
    [{ resourceNames: ["db"], resourceTypes: ["img"] }, "web", "img", true], // any match allows
    [{ resourceNames: ["db", "w.b$"], resourceTypes: ["x"] }, "web", "img", true],
  ];
  for (const [spec, name, type, allowed] of cases) {
    test(`${JSON.stringify(spec)} for ${name}/${type}: ${allowed}`, () => {
      expect(isPlugAllowed(plug("p", spec), name, type)).toBe(allowed);
    });
  }
});

describe("plug requests", () => {
  const r = { name: "web", type: "img" };
  test("valid requests mount host:container:mode in request order", () => {
    const plugs = { a: plug("a"), b: plug("b", { readOnly: true }), c: plug("c") };
    const res = resolvePlugs(r, { c: { container_path: "/c" }, a: { container_path: "/a", writable: false }, b: { container_path: "/b", writable: false } }, plugs);
    expect(res).toEqual({ mounts: ["/host/c:/c:rw", "/host/a:/a:ro", "/host/b:/b:ro"], warnings: [] });
  });
  test("optional: warnings and skip", () => {
    const plugs = { no: plug("no", { resourceNames: ["db"] }), ro: plug("ro", { readOnly: true }) };
    const res = resolvePlugs(r, { missing: { container_path: "/m", optional: true }, no: { container_path: "/n", optional: true }, ro: { container_path: "/r", optional: true } }, plugs);
    expect(res.mounts).toEqual([]);
    expect(res.warnings).toEqual([
      "Optional plug 'missing' does not exist (skipped)",
      "Optional plug 'no' is not allowed for it (skipped)",
      "Optional plug 'ro' is readonly, but requested with write access (skipped)",
    ]);
  });
  test("required: errors", () => {
    expect(() => resolvePlugs(r, { missing: { container_path: "/m" } }, {})).toThrow("plug 'missing' required by 'web' does not exist");
    expect(() => resolvePlugs(r, { no: { container_path: "/n" } }, { no: plug("no", { resourceTypes: ["db"] }) })).toThrow(
      "plug 'no' required by 'web' is not allowed for it",
    );
    expect(() => resolvePlugs(r, { ro: { container_path: "/r" } }, { ro: plug("ro", { readOnly: true }) })).toThrow(
      "plug 'ro' required by 'web' is readonly, but requested with write access",
    );
  });
});

describe("init results", () => {
  test("valid, with defaults left to the engine", () => {
    expect(validateInitResult("r", { state_action: { args: ["state"] } })).toEqual({ state_action: { args: ["state"] } });
  });
  test("{} / extra keys / empty state_action are distinct errors", () => {
    expect(() => validateInitResult("r", {})).toThrow("protocol error: 'r' init result failed validation: must have required property 'state_action'");
    expect(() => validateInitResult("r", { state_action: { args: ["s"] }, extra: 1 })).toThrow("has unknown key 'extra'");
    expect(() => validateInitResult("r", { state_action: {} })).toThrow("protocol error: 'r' init result has an empty state_action");
    expect(() => validateInitResult("r", { state_action: { args: [] } })).toThrow("empty state_action");
    expect(() => validateInitResult("r", { state_action: { args: ["s"] }, plugs: { p: { optional: true } } })).toThrow("container_path");
  });
});

describe("state results", () => {
  test("VALID and STALE shapes", () => {
    expect(validateStateResult("r", { status: "VALID", state: { a: 1 } })).toEqual({ status: "VALID", state: { a: 1 } });
    expect(validateStateResult("r", { status: "STALE", actions: [{ name: "x" }] }).status).toBe("STALE");
  });
  test("VALID with actions / STALE without actions / extra keys are protocol errors", () => {
    expect(() => validateStateResult("r", { status: "VALID", state: {}, actions: [{ name: "x" }] })).toThrow(
      "protocol error: 'r' state result failed validation: a VALID result must not list actions",
    );
    expect(() => validateStateResult("r", { status: "STALE", actions: [] })).toThrow("a STALE result must list at least one action");
    expect(() => validateStateResult("r", { status: "STALE" })).toThrow("a STALE result must list at least one action");
    expect(() => validateStateResult("r", { status: "VALID", state: {}, x: 1 })).toThrow("unknown key 'x'");
    expect(() => validateStateResult("r", { status: "STALE", actions: [{ name: "a", bogus: 1 }] })).toThrow("'actions[0]' has unknown key 'bogus'");
    expect(() => validateStateResult("r", { status: "MISSING" })).toThrow(`'status' must be "VALID" or "STALE"`);
    expect(() => validateStateResult("r", [1])).toThrow("must be a JSON object");
  });
  test("action defaults", () => {
    expect(withActionDefaults({ name: "create" }, "img:1")).toEqual({ name: "create", description: "create", image: "img:1", args: [] });
  });
});

describe("config validation", () => {
  const schema = {
    type: "object",
    properties: { list: { type: "array", items: { type: "object", properties: { n: { type: "integer", maximum: 10, exclusiveMaximum: true } } } } },
  };
  test("failures name the path", () => {
    expect(() => validateConfig("a", { list: [{ n: 1 }, { n: "x" }] }, schema)).toThrow("illegal config for 'a.config.list[1].n': must be integer");
  });
  test("Draft 4 semantics by default (boolean exclusiveMaximum)", () => {
    expect(() => validateConfig("a", { list: [{ n: 10 }] }, schema)).toThrow("illegal config for 'a.config.list[0].n': must be < 10");
    expect(() => validateConfig("a", { list: [{ n: 9 }] }, schema)).not.toThrow();
  });
  test("a later draft when the schema names one", () => {
    const s7 = { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: { n: { exclusiveMaximum: 10 } } };
    expect(() => validateConfig("a", { n: 10 }, s7)).toThrow("must be < 10");
  });
  test("no schema: any mapping", () => {
    expect(() => validateConfig("a", { anything: [1] }, undefined)).not.toThrow();
    expect(() => validateConfig("a", [1], undefined)).toThrow("illegal config for 'a.config': must be a mapping");
  });
});
