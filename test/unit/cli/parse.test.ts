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

test("string options stay strings: leading zeros, digits-only names, repeated values", () => {
  const serve = parse(["serve", "--password", "000123", "--username", "123", "--domain=0123", "--health-path", "/0"]).options;
  expect(serve.password).toBe("000123");
  expect(serve.username).toBe("123");
  expect(serve.domain).toBe("0123");
  const plan = parse(["plan", "m.yaml", "--var", "a=01", "--var", "b=2", "-c", "NO", "--work-dir", "007", "--action-timeout", "90"]).options;
  expect(plan.var).toEqual(["a=01", "b=2"]);
  expect(plan.confirm).toBe("NO");
  expect(plan.workDir).toBe("007");
  expect(plan.actionTimeout).toBe("90");
  // Options whose default is a number keep mri's number.
  expect(parse(["serve", "--container-port", "8080"]).options.containerPort).toBe(8080);
  // A word starting with "-" is not a value (as before), and "--" ends the options.
  expect(parse(["serve", "--password", "--verbose"]).options.password).toBe(true);
});
