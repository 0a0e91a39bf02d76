import { describe, expect, test } from "bun:test";
import Ajv from "ajv";
import AjvDraft04 from "ajv-draft-04";
import { containerConfigSchema, PORT_STRING_PATTERN } from "../../../src/resource-types/builtin/container/schema";
import { imageConfigSchema } from "../../../src/resource-types/builtin/image/spec";
import { networkConfigSchema } from "../../../src/resource-types/builtin/network/spec";
import { volumeConfigSchema } from "../../../src/resource-types/builtin/volume/spec";

// The engine may validate with either dialect; the schemas must mean the same in both.
const validators = {
  "draft-07 (strict)": new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }),
  "draft-04": new AjvDraft04({ allErrors: true, strict: false }),
};

const schemas = {
  container: containerConfigSchema,
  network: networkConfigSchema,
  volume: volumeConfigSchema,
  image: imageConfigSchema,
};

function errors(ajv: Ajv, schema: object, config: unknown): string[] {
  const validate = ajv.compile(schema);
  if (validate(config)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${e.params.additionalProperty})` : ""}`);
}

const good: Record<keyof typeof schemas, unknown> = {
  container: {
    name: "quickstart-web",
    image: "deployster-fixture/web:1",
    command: ["sh", "-c", "x"],
    entrypoint: "/bin/sh",
    env: { A: "1", B: 2, C: true },
    secret_env: ["A"],
    ports: ["127.0.0.1::80", 81, { target: "82", published: 8082, host_ip: "127.0.0.1", protocol: "udp" }],
    mounts: ["data:/data:ro", "./html:/www", { type: "tmpfs", target: "/tmp" }],
    networks: { app: { aliases: ["www"] }, other: null },
    labels: { "deployster.test": "builtin" },
    restart: "on-failure:3",
    healthcheck: { test: ["CMD", "true"], interval: "1s", timeout: 2, retries: 3, start_period: "500ms" },
    user: "nobody",
    working_dir: "/",
    stop_timeout: 1,
    health_timeout: "30s",
    update_order: "stop-first",
  },
  network: { name: "n", driver: "bridge", internal: true, attachable: true, labels: { a: "b" }, options: { x: "1" }, subnet: "10.9.0.0/24", gateway: "10.9.0.1" },
  volume: { name: "v", driver: "local", labels: { a: "b" }, options: { type: "tmpfs", device: "tmpfs" } },
  image: { reference: "127.0.0.1:5000/app:v2", pull: "always" },
};

for (const [dialect, ajv] of Object.entries(validators)) {
  describe(`config schemas (${dialect})`, () => {
    for (const [name, schema] of Object.entries(schemas)) {
      test(`${name}: a full config is valid`, () => {
        expect(errors(ajv as Ajv, schema, good[name as keyof typeof schemas])).toEqual([]);
      });
    }
    test("a typo in a key is an error naming the path and the key", () => {
      expect(errors(ajv as Ajv, containerConfigSchema, { image: "x", enviroment: {} })).toContain("/ must NOT have additional properties (enviroment)");
      expect(errors(ajv as Ajv, containerConfigSchema, { image: "x", healthcheck: { test: "true", intervall: "1s" } })).toContain(
        "/healthcheck must NOT have additional properties (intervall)",
      );
      expect(errors(ajv as Ajv, networkConfigSchema, { drivr: "bridge" })).toContain("/ must NOT have additional properties (drivr)");
      expect(errors(ajv as Ajv, volumeConfigSchema, { option: {} })).toContain("/ must NOT have additional properties (option)");
    });
    test("bad values are errors with their paths", () => {
      const e = errors(ajv as Ajv, containerConfigSchema, { image: "x", ports: ["80", "nope"], restart: "sometimes", healthcheck: { interval: "soon" } });
      expect(e.filter((x) => x.startsWith("/ports/1 "))).toEqual([`/ports/1 must match pattern "${PORT_STRING_PATTERN}"`]);
      expect(e.some((x) => x.startsWith("/restart "))).toBe(true);
      expect(e.some((x) => x.startsWith("/healthcheck/interval "))).toBe(true);
      expect(errors(ajv as Ajv, containerConfigSchema, {})).toContain("/ must have required property 'image'");
      expect(errors(ajv as Ajv, imageConfigSchema, { reference: "x", pull: "never" }).some((x) => x.startsWith("/pull "))).toBe(true);
      expect(errors(ajv as Ajv, containerConfigSchema, { image: "x", mounts: [{ type: "volume", source: "v", target: "/d", readonly: true }] }).some((x) => x.startsWith("/mounts/0"))).toBe(true);
    });
  });
}
