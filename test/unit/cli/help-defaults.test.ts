/**
 * Every `(default: X)` that --help prints is what happens when the flag is absent: for each
 * command, the configuration resolved from cac's defaults equals the one resolved with every
 * defaulted flag left out (the code's own fallbacks). And no help line claims a default for a
 * flag whose meaning is its presence (`--no-init-cache (default: true)` said the opposite).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCli, parseArgv } from "../../../src/cli";
import { prepareRun } from "../../../src/commands/command-options";
import { resolveServeConfig } from "../../../src/server/config";
import { resolveTypeCheckTimeouts } from "../../../src/commands/type-check";

const dir = mkdtempSync(join(tmpdir(), "deployster-help-defaults-"));
writeFileSync(join(dir, "m.yaml"), "resources: {}\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The options cac hands the command, with and without the help's defaults. */
function parsed(args: string[]) {
  const cli = buildCli();
  parseArgv(cli, args);
  const withDefaults = { ...cli.options };
  const withoutDefaults = { ...cli.options };
  const defaulted = cli.matchedCommand!.options.filter((o) => o.config.default !== undefined);
  for (const o of defaulted) delete withoutDefaults[o.name];
  return { cli, withDefaults, withoutDefaults, defaulted: defaulted.map((o) => o.name) };
}

describe("--help defaults are true", () => {
  test("no help line shows a default for a presence flag", () => {
    const cli = buildCli();
    for (const cmd of cli.commands) {
      for (const o of cmd.options) {
        if (o.isBoolean || o.negated) expect(o.config.default, `${cmd.name} ${o.rawName}`).toBeUndefined();
      }
    }
  });

  for (const command of ["plan", "apply"]) {
    test(`${command}: defaults shown = what prepareRun does without them`, async () => {
      const p = parsed([command, "m.yaml"]);
      expect(p.defaulted.sort()).toEqual(["actionTimeout", "parallelism", "stateTimeout"]);
      const env = { HOME: dir, CONF_DIR: join(dir, "conf") };
      const a = await prepareRun(["m.yaml"], { ...p.withDefaults, cwd: dir, env, rawArgs: [] });
      const b = await prepareRun(["m.yaml"], { ...p.withoutDefaults, cwd: dir, env, rawArgs: [] });
      expect(b.engine).toEqual(a.engine);
      expect([b.confirm, b.parallelism]).toEqual([a.confirm, a.parallelism]);
      // and the words of the help: ACTION when -c is absent, the init cache on without --no-init-cache
      expect(b.confirm).toBe("ACTION");
      expect(b.engine.initCache).toBe(true);
      expect(p.cli.matchedCommand!.options.find((o) => o.name === "confirm")!.description).toContain("(default: ACTION");
    });
  }

  test("serve: defaults shown = resolveServeConfig's own fallbacks", () => {
    const p = parsed(["serve"]);
    expect(p.defaulted.length).toBeGreaterThan(5);
    const env = { DEPLOYSTER_PASSWORD: "x" };
    expect(resolveServeConfig(p.withoutDefaults, env)).toEqual(resolveServeConfig(p.withDefaults, env));
  });

  test("type check: defaults shown = its own fallbacks", () => {
    const p = parsed(["type", "check", "img"]);
    expect(p.defaulted.sort()).toEqual(["actionTimeout", "stateTimeout"]);
    expect(resolveTypeCheckTimeouts(p.withoutDefaults)).toEqual(resolveTypeCheckTimeouts(p.withDefaults));
  });
});
