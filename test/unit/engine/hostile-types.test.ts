/**
 * What a hostile resource type sends cannot stall or break the engine: config_schema
 * patterns run on a linear-time engine, JSON answers have a depth limit, secret config
 * values stay out of records; records never follow a link a container could have planted.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolvePlugs } from "../../../src/engine/plugs";
import { validateConfig } from "../../../src/engine/protocol";
import { createArtefactWriter, createScratchDir, ensurePrivateDir, writeNewFile } from "../../../src/resource-types/artefacts";
import { jsonNestsDeeperThan, MAX_JSON_DEPTH, parseTypeOutput } from "../../../src/resource-types/output-limits";
import { maskSecretConfig } from "../../../src/resource-types/secret-config";

const tmp = mkdtempSync(join(tmpdir(), "deployster-hostile-unit-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("config_schema patterns run on RE2 (linear time)", () => {
  const schema = { type: "object", properties: { v: { type: "string", pattern: "^(.+)+#$" } } };

  test("a catastrophically backtracking pattern gives right answers at once (a RegExp gives up after ~0.7 s per value and answers 'no match')", () => {
    const list = { type: "object", properties: { v: { type: "array", items: { type: "string", pattern: "^(?:(.+)+#|.*!)$" } } } };
    const started = performance.now();
    // Matches through the second branch: a backtracking engine hits its limit in the first.
    expect(() => validateConfig("r", { v: Array.from({ length: 20 }, () => `${"a".repeat(40)}!`) }, list, "evil/type")).not.toThrow();
    expect(() => validateConfig("r", { v: "a".repeat(30) }, schema, "evil/type")).toThrow("illegal config for 'r.config.v': must match pattern");
    expect(() => validateConfig("r", { v: "a".repeat(100_000) }, schema, "evil/type")).toThrow("must match pattern");
    expect(() => validateConfig("r", { v: `${"a".repeat(100_000)}#` }, schema, "evil/type")).not.toThrow();
    expect(performance.now() - started).toBeLessThan(2000); // sanity bound only (a RegExp: ~15 s)
  });

  test("a backreference or lookaround is a protocol error naming the type and the resource", () => {
    const backref = { type: "object", properties: { v: { type: "string", pattern: "^(a)\\1$" } } };
    expect(() => validateConfig("r", { v: "aa" }, backref, "evil/backref")).toThrow(
      `protocol error: the config_schema of type 'evil/backref' (resource 'r'): pattern "^(a)\\\\1$" cannot be used: `,
    );
    expect(() => validateConfig("r", { v: "aa" }, backref, "evil/backref")).toThrow("no backreferences or lookaround");
    const lookahead = { type: "object", patternProperties: { "^(?=x)": { type: "string" } } };
    expect(() => validateConfig("r", { x: "aa" }, lookahead, "evil/look")).toThrow("the config_schema of type 'evil/look' (resource 'r'): pattern \"^(?=x)\" cannot be used");
  });

  test("ordinary patterns keep their meaning, per pattern (pattern, patternProperties, propertyNames)", () => {
    const s = {
      type: "object",
      properties: { ip: { type: "string", pattern: "^\\d{1,3}(\\.\\d{1,3}){3}$" }, name: { type: "string", pattern: "^[a-z][a-z0-9-]*$" } },
      patternProperties: { "^x-": { type: "integer" } },
      propertyNames: { pattern: "^[a-z]" },
    };
    expect(() => validateConfig("r", { ip: "10.0.0.1", name: "web-1", "x-n": 3 }, s, "t")).not.toThrow();
    expect(() => validateConfig("r", { ip: "10.0.0", name: "web-1" }, s, "t")).toThrow("illegal config for 'r.config.ip': must match pattern");
    expect(() => validateConfig("r", { ip: "10.0.0.1", name: "Web" }, s, "t")).toThrow("illegal config for 'r.config.name': must match pattern");
    expect(() => validateConfig("r", { "x-n": "three" }, s, "t")).toThrow("must be integer");
    expect(() => validateConfig("r", { Upper: 1 }, s, "t")).toThrow("must match pattern");
  });
});

describe("JSON answers nest at most MAX_JSON_DEPTH levels", () => {
  const nested = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

  test("100,000 levels are refused before parsing; the limit itself is fine", () => {
    const deep = parseTypeOutput(`{"status":"VALID","state":${nested(100_000)}}`);
    expect(deep).toEqual({ ok: false, problem: "deep", message: `answered JSON nested deeper than ${MAX_JSON_DEPTH} levels (the limit of a type's answer)` });
    expect(parseTypeOutput(nested(MAX_JSON_DEPTH)).ok).toBe(true);
    expect(parseTypeOutput(nested(MAX_JSON_DEPTH + 1)).ok).toBe(false);
  });

  test("brackets inside strings (also after escaped quotes) do not count", () => {
    expect(jsonNestsDeeperThan(`{"s":"${"[".repeat(200)}"}`, 2)).toBe(false);
    expect(jsonNestsDeeperThan(`{"s":"\\"${"{".repeat(200)}\\\\"}`, 2)).toBe(false);
    expect(jsonNestsDeeperThan(`[[["\\\\"]]]`, 2)).toBe(true);
  });

  test("empty and invalid answers", () => {
    expect(parseTypeOutput("  \n")).toMatchObject({ ok: false, problem: "empty" });
    expect(parseTypeOutput("nope")).toMatchObject({ ok: false, problem: "invalid" });
  });
});

describe("secret config values (config_schema: secret: true / writeOnly: true)", () => {
  const schema = {
    type: "object",
    properties: {
      user: { type: "string" },
      password: { type: "string", secret: true },
      db: { type: "object", properties: { token: { type: "string", writeOnly: true } } },
      keys: { type: "array", items: { type: "string", secret: true } },
      both: { allOf: [{ type: "string" }, { secret: true }] },
    },
    additionalProperties: { type: "object", properties: { pass: { secret: true } } },
  };

  test("are replaced by *** in the record and hidden in free text", () => {
    const config = { user: "alice", password: "s3cr3t-pw", db: { token: "tok-12345" }, keys: ["key-aaaa", "key-bbbb"], both: "both-value", extra: { pass: "extra-pass" } };
    const { config: masked, masker, secretCount } = maskSecretConfig(config, schema);
    expect(masked).toEqual({ user: "alice", password: "***", db: { token: "***" }, keys: ["***", "***"], both: "***", extra: { pass: "***" } });
    expect(secretCount).toBe(6);
    expect(masker.mask("login alice:s3cr3t-pw with tok-12345, key-bbbb, extra-pass")).toBe("login alice:*** with ***, ***, ***");
    expect(config.password).toBe("s3cr3t-pw"); // the input is not changed
  });

  test("env values listed in secret_env (as for the built-in container type), also without a schema", () => {
    const config = { env: { USER: "bob", API_TOKEN: "tok-abcdef" }, secret_env: ["API_TOKEN", "MISSING"] };
    const { config: masked, masker } = maskSecretConfig(config, undefined);
    expect(masked).toEqual({ env: { USER: "bob", API_TOKEN: "***" }, secret_env: ["API_TOKEN", "MISSING"] });
    expect(masker.mask("token=tok-abcdef")).toBe("token=***");
    expect(config.env.API_TOKEN).toBe("tok-abcdef");
  });

  test("no schema or no marks: nothing to hide", () => {
    expect(maskSecretConfig({ a: "x" }, undefined).secretCount).toBe(0);
    expect(maskSecretConfig({ a: "xxxxx" }, { type: "object" })).toMatchObject({ config: { a: "xxxxx" }, secretCount: 0 });
  });
});

describe("artefacts never follow a link and are private", () => {
  test("writeNewFile refuses a symlink (dangling or not) and an existing file; creates 0600", async () => {
    const victim = join(tmp, "victim.txt");
    writeFileSync(victim, "original");
    const dir = join(tmp, "w1");
    mkdirSync(dir);
    symlinkSync(victim, join(dir, "stdout-1.json"));
    symlinkSync(join(tmp, "would-be-created.txt"), join(dir, "stdout-2.json"));
    await expect(writeNewFile(join(dir, "stdout-1.json"), "PWNED")).rejects.toThrow();
    await expect(writeNewFile(join(dir, "stdout-2.json"), "PWNED")).rejects.toThrow();
    expect(readFileSync(victim, "utf8")).toBe("original");
    expect(readdirSync(tmp)).not.toContain("would-be-created.txt");
    await writeNewFile(join(dir, "fresh.json"), "ok");
    expect(statSync(join(dir, "fresh.json")).mode & 0o777).toBe(0o600);
    await expect(writeNewFile(join(dir, "fresh.json"), "again")).rejects.toThrow();
  });

  test("a planted folder symlink is refused; folders are created 0700", async () => {
    const outside = join(tmp, "outside");
    mkdirSync(outside);
    const work = join(tmp, "w2");
    mkdirSync(join(work, "res"), { recursive: true });
    symlinkSync(outside, join(work, "res", "act"));
    await expect(ensurePrivateDir(work, ["res", "act"])).rejects.toThrow("not a folder (a symlink?)");
    const made = await ensurePrivateDir(work, ["other", "state"]);
    expect(statSync(made).mode & 0o777).toBe(0o700);
    expect(statSync(join(work, "other")).mode & 0o777).toBe(0o700);

    const w = createArtefactWriter(work, "res", "act");
    await w.write("stdin", "{}");
    await w.write("stdout", "x");
    expect(readdirSync(outside)).toEqual([]);
  });

  test("a writer claims a timestamp no file has; records share it; a later planted link is not written through", async () => {
    const work = join(tmp, "w3");
    const w = createArtefactWriter(work, "r", "state");
    await w.write("stdin", "{}");
    const [stdin] = readdirSync(w.dir);
    const ts = stdin!.slice("stdin-".length, -".json".length);
    const victim = join(tmp, "victim3.txt");
    writeFileSync(victim, "original");
    symlinkSync(victim, join(w.dir, `stdout-${ts}.json`));
    await w.write("stdout", "PWNED");
    await w.write("stderr", "log");
    expect(readFileSync(victim, "utf8")).toBe("original");
    expect(lstatSync(join(w.dir, `stdout-${ts}.json`)).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(w.dir, `stderr-${ts}.json`), "utf8")).toBe("log");
  });

  test("scratch dirs are fresh, 0700, and removed without following links inside", async () => {
    const work = join(tmp, "w4");
    const keep = join(tmp, "keep");
    mkdirSync(keep);
    writeFileSync(join(keep, "file"), "kept");
    const a = await createScratchDir(work);
    const b = await createScratchDir(work);
    expect(a.path).not.toBe(b.path);
    expect(statSync(a.path).mode & 0o777).toBe(0o700);
    expect(readdirSync(a.path)).toEqual([]);
    symlinkSync(keep, join(a.path, "link"));
    await a.remove();
    await b.remove();
    expect(readFileSync(join(keep, "file"), "utf8")).toBe("kept");
    expect(readdirSync(join(work, ".scratch"))).toEqual([]);
  });
});

describe("no plug hands a type deployster's own folders", () => {
  const ws = join(tmp, "plug-ws");
  const guard = { workDir: join(ws, ".deployster", "work"), confDir: join(tmp, "plug-conf") };
  mkdirSync(guard.workDir, { recursive: true });
  mkdirSync(guard.confDir, { recursive: true });
  symlinkSync(join(ws, ".deployster"), join(tmp, "plug-link"));
  const plug = (name: string, path: string, readOnly = false) => ({ name, path, readOnly, resourceNames: [], resourceTypes: [], source: "m.yaml" });
  const r = { name: "web", type: "img" };

  test("a plug that contains the work dir, is it, lies inside it or reaches it through a symlink is refused", () => {
    const plugs = {
      ws: plug("ws", ws),
      work: plug("work", guard.workDir, true),
      inside: plug("inside", join(guard.workDir, "web")),
      link: plug("link", join(tmp, "plug-link")),
      sibling: plug("sibling", join(ws, ".deployster", "site")),
    };
    const req = (name: string) => ({ [name]: { container_path: "/p" } });
    expect(() => resolvePlugs(r, req("ws"), plugs, guard)).toThrow(`plug 'ws' required by 'web' would expose deployster's work dir (${guard.workDir}) to the type`);
    expect(() => resolvePlugs(r, { work: { container_path: "/p", writable: false } }, plugs, guard)).toThrow("would expose deployster's work dir");
    expect(() => resolvePlugs(r, req("inside"), plugs, guard)).toThrow("would expose deployster's work dir");
    expect(() => resolvePlugs(r, req("link"), plugs, guard)).toThrow("would expose deployster's work dir");
    expect(resolvePlugs(r, req("sibling"), plugs, guard).mounts).toEqual([`${join(ws, ".deployster", "site")}:/p:rw`]);
    expect(resolvePlugs(r, { ws: { container_path: "/p", optional: true } }, plugs, guard)).toEqual({
      mounts: [],
      warnings: [`Optional plug 'ws' would expose deployster's work dir (${guard.workDir}) to the type (skipped)`],
    });
  });

  test("the conf dir (init cache) may be plugged read-only only", () => {
    const plugs = { conf: plug("conf", tmp) };
    expect(() => resolvePlugs(r, { conf: { container_path: "/c" } }, plugs, guard)).toThrow("would expose deployster's work dir");
    const confOnly = { conf: plug("conf", guard.confDir) };
    expect(() => resolvePlugs(r, { conf: { container_path: "/c" } }, confOnly, guard)).toThrow(`would expose deployster's conf dir (${guard.confDir})`);
    expect(resolvePlugs(r, { conf: { container_path: "/c", writable: false } }, confOnly, guard).mounts).toEqual([`${guard.confDir}:/c:ro`]);
  });
});
