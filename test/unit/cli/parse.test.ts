import { expect, test } from "bun:test";
import { buildCli, parseArgv } from "../../../src/cli";

function parse(args: string[]) {
  const cli = buildCli();
  parseArgv(cli, args);
  return { command: cli.matchedCommand?.name, args: cli.args, options: cli.options };
}

test("a hyphenated boolean flag does not swallow the manifest after it", () => {
  const r = parse(["plan", "--detailed-exitcode", "x.yaml", "y.yaml"]);
  expect(r.command).toBe("plan");
  expect(r.args).toEqual(["x.yaml", "y.yaml"]);
  expect(r.options.detailedExitcode).toBe(true);
});

test("flags before, after and absent", () => {
  expect(parse(["plan", "x.yaml", "--detailed-exitcode"]).options.detailedExitcode).toBe(true);
  expect(parse(["plan", "x.yaml"]).options.detailedExitcode).toBeUndefined();
  expect(parse(["plan", "--detailed-exitcode=false", "x.yaml"]).options.detailedExitcode).toBe(false);
});

test("negated and valued options keep working", () => {
  const r = parse(["apply", "--no-init-cache", "m.yaml", "--var", "a=1", "--var", "b=2", "-y", "--parallelism", "3"]);
  expect(r.args).toEqual(["m.yaml"]);
  expect(r.options.initCache).toBe(false);
  expect(r.options.var).toEqual(["a=1", "b=2"]);
  expect(r.options.yes).toBe(true);
  expect(r.options.parallelism).toBe(3);
});
