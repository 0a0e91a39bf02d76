import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { ValidateFunction } from "ajv";
import { createAjv, CONFIG_AJV_OPTIONS, PROTOCOL_AJV_OPTIONS } from "../../../src/schema/ajv-setup";
import { fixedValidator } from "../../../src/schema/fixed-validators";
import { builtinConfigValidators } from "../../../src/schema/generated/validators";
import { initSchema, staleSchema } from "../../../src/engine/protocol-schemas";
import { validateConfig } from "../../../src/engine/protocol";
import { MANIFEST_AJV_OPTIONS, manifestSchema } from "../../../src/manifest/schema";
import { containerConfigSchema } from "../../../src/resource-types/builtin/container/schema";
import { GENERATED_PATH, generateValidatorsSource } from "../../../scripts/gen-validators";

describe("precompiled validators (scripts/gen-validators.ts)", () => {
  test("the committed src/schema/generated/validators.ts is up to date (else run: bun scripts/gen-validators.ts)", async () => {
    expect(readFileSync(GENERATED_PATH, "utf8")).toBe(await generateValidatorsSource());
  });

  const same = (schema: object, options: object, name: Parameters<typeof fixedValidator>[0], data: unknown) => {
    const runtime = createAjv("draft07", options).compile(schema);
    const pre = fixedValidator(name);
    expect(pre(data)).toBe(runtime(data));
    expect(pre.errors ?? null).toEqual(runtime.errors ?? null);
  };

  test("give the errors of a run-time compile", () => {
    same(manifestSchema, MANIFEST_AJV_OPTIONS, "manifest", { resources: { "bad name": { type: 3, extra: 1 }, ok: {} }, other: 1 });
    same(manifestSchema, MANIFEST_AJV_OPTIONS, "manifest", { resources: { ok: { type: "x" } } });
    same(initSchema, PROTOCOL_AJV_OPTIONS, "initResult", { state_action: { args: [1] }, plugs: { p: { container_path: "" } }, x: 1 });
    same(staleSchema, PROTOCOL_AJV_OPTIONS, "staleResult", { status: "STALE", actions: [{ name: "" }, {}] });
  });

  test("every built-in config schema is precompiled, with the errors of a run-time draft-04 compile", () => {
    const pre = new Map(builtinConfigValidators as [string, () => ValidateFunction][]);
    expect(pre.size).toBe(7);
    const validate = pre.get(JSON.stringify(containerConfigSchema))!();
    const runtime = createAjv("draft04", CONFIG_AJV_OPTIONS).compile(containerConfigSchema);
    for (const config of [{ name: 3, image: "x", ports: [{ target: "a" }], bogus: true }, { name: "a", image: "b" }]) {
      expect(validate(config)).toBe(runtime(config));
      expect(validate.errors ?? null).toEqual(runtime.errors ?? null);
    }
    expect(() => validateConfig("web", { image: "x", bogus: 1 }, containerConfigSchema)).toThrow("illegal config for 'web.config'");
  });
});
