import { describe, expect, test } from "bun:test";
import { parseCtlArgs, parseDuration } from "../../../src/commands/ctl/args";

const env = {};
function inv(args: string[], e: Record<string, string | undefined> = env) {
  const r = parseCtlArgs(args, e);
  if (r.kind !== "invocation") throw new Error(`expected an invocation, got ${JSON.stringify(r)}`);
  return r;
}
function usageError(args: string[]) {
  const r = parseCtlArgs(args, env);
  if (r.kind !== "usage-error") throw new Error(`expected a usage error, got ${JSON.stringify(r)}`);
  return r;
}

describe("commands and aliases", () => {
  test.each([
    ["deploy", "deploy"], ["d", "deploy"], ["run", "run"], ["r", "run"],
    ["destroy", "destroy"], ["x", "destroy"], ["list", "list"], ["l", "list"],
  ])("%s → %s", (word, command) => {
    const args = command === "run" ? [word, "app", "v1", "ls"] : command === "list" ? [word, "app"] : [word, "app", "v1"];
    expect(inv(args).invocation.command).toBe(command as never);
  });

  test("deploy defaults: destroy previous, 0 instances, no wait", () => {
    expect(inv(["deploy", "app", "v1"]).invocation).toEqual({
      command: "deploy", service: "app", version: "v1", skipDestroyPrevious: false, instances: 0, wait: false, waitTimeoutMs: 900_000,
    });
  });

  test("deploy with every option, options anywhere", () => {
    const r = inv(["--wait", "d", "--instances", "3", "app", "--skip-destroy-previous", "v2", "--timestamp=2015.01.02-03.04.05", "--wait-timeout", "90s"]);
    expect(r.invocation).toEqual({
      command: "deploy", service: "app", version: "v2", skipDestroyPrevious: true, instances: 3,
      timestamp: "2015.01.02-03.04.05", wait: true, waitTimeoutMs: 90_000,
    });
  });

  test("Go flag spellings: single dash and =value for booleans", () => {
    const r = inv(["-url", "http://h:1", "deploy", "app", "v1", "-skip-destroy-previous=true", "-instances=2"]);
    expect(r.global.url).toBe("http://h:1");
    expect(r.invocation).toMatchObject({ skipDestroyPrevious: true, instances: 2 });
    expect(inv(["deploy", "app", "v1", "--skip-destroy-previous=false"]).invocation).toMatchObject({ skipDestroyPrevious: false });
  });

  test("run joins the words by single spaces", () => {
    expect(inv(["run", "app", "v1", "bundle", "exec", "rake"]).invocation).toEqual({
      command: "run", service: "app", version: "v1", taskCommand: "bundle exec rake",
    });
  });

  test("-- passes the rest verbatim to run, options included", () => {
    expect(inv(["run", "app", "v1", "--", "ls", "-la", "--url", "x", "--"]).invocation).toMatchObject({ taskCommand: "ls -la --url x --" });
    expect(inv(["r", "app", "--", "v1", "-x"]).invocation).toMatchObject({ version: "v1", taskCommand: "-x" });
    // global options before -- still count
    expect(inv(["run", "--url", "http://a:1", "app", "v1", "--", "--url", "b"]).global.url).toBe("http://a:1");
  });

  test("an option-looking task word without -- is refused with a hint", () => {
    const r = usageError(["run", "app", "v1", "ls", "-la"]);
    expect(r.message).toContain("unknown option -la");
    expect(r.message).toContain("--");
    expect(r.command).toBe("run");
  });

  test("list, status, destroy, rollback", () => {
    expect(inv(["l", "app", "--json"]).invocation).toEqual({ command: "list", service: "app", json: true });
    expect(inv(["status", "app"]).invocation).toEqual({ command: "status", service: "app", json: false });
    expect(inv(["status", "app", "v2", "--timestamp", "2015.01.02-03.04.05", "--json"]).invocation).toEqual({
      command: "status", service: "app", version: "v2", timestamp: "2015.01.02-03.04.05", json: true,
    });
    expect(inv(["x", "app", "v2", "--timestamp", "2015.01.02-03.04.05"]).invocation).toEqual({
      command: "destroy", service: "app", version: "v2", timestamp: "2015.01.02-03.04.05",
    });
    expect(inv(["rollback", "app", "--wait"]).invocation).toEqual({ command: "rollback", service: "app", wait: true, waitTimeoutMs: 900_000 });
  });
});

describe("the original's argument errors", () => {
  test.each([
    [["deploy"], "Service required"],
    [["deploy", "app"], "Version required"],
    [["destroy"], "Service required"],
    [["x", "app"], "Version required"],
    [["list"], "Service required"],
    [["run"], "Service required"],
    [["run", "app"], "Version required"],
    [["run", "app", "v1"], "Command required"],
    [["run", "app", "v1", "--"], "Command required"],
    [["status"], "Service required"],
    [["rollback"], "Service required"],
  ])("%j → %s", (args, message) => {
    const r = usageError(args as string[]);
    expect(r.message).toBe(message);
  });

  test("other mistakes", () => {
    expect(usageError([]).message).toBe("a command is required");
    expect(usageError(["frobnicate"]).message).toBe('unknown command "frobnicate"');
    expect(usageError(["deploy", "app", "v1", "extra"]).message).toBe('unexpected argument "extra"');
    expect(usageError(["deploy", "app", "v1", "--json"]).message).toBe("option --json does not apply to deploy");
    expect(usageError(["list", "app", "--wait"]).message).toBe("option --wait does not apply to list");
    expect(usageError(["deploy", "app", "v1", "--instances", "-1"]).message).toContain("--instances");
    expect(usageError(["deploy", "app", "v1", "--instances", "two"]).message).toContain("--instances");
    expect(usageError(["deploy", "app", "v1", "--instances"]).message).toBe("option --instances needs a value");
    expect(usageError(["deploy", "app", "v1", "--timestamp", "yesterday"]).message).toContain("YYYY.MM.DD-hh.mm.ss");
  });

  test("--timestamp must be a real UTC date and time, as the server requires", () => {
    for (const bad of ["2015.13.01-00.00.00", "2015.02.30-00.00.00", "2015.01.02-24.00.00", "2015.01.02-03.60.00"]) {
      expect(usageError(["deploy", "app", "v1", "--timestamp", bad]).message).toBe(
        `invalid --timestamp "${bad}" (expected YYYY.MM.DD-hh.mm.ss, e.g. 2015.01.31-23.59.59)`,
      );
      expect(usageError(["destroy", "app", "v1", "--timestamp", bad]).message).toContain("invalid --timestamp");
    }
    expect(inv(["deploy", "app", "v1", "--timestamp", "2016.02.29-23.59.59"]).invocation).toMatchObject({ timestamp: "2016.02.29-23.59.59" });
    expect(usageError(["deploy", "app", "v1", "--wait-timeout", "soon"]).message).toContain("--wait-timeout");
    expect(usageError(["deploy", "app", "v1", "--wait=maybe"]).message).toContain("--wait");
    expect(usageError(["status", "app", "--timestamp", "2015.01.02-03.04.05"]).message).toContain("needs a version");
    expect(usageError(["deploy", "app", "v1", "--", "x"]).message).toContain("only meaningful for run");
    expect(usageError(["deploy", "app", "v1", "-q"]).message).toBe("unknown option -q");
  });
});

describe("global options", () => {
  test("defaults", () => {
    expect(inv(["list", "app"]).global).toEqual({ url: "http://localhost:3000", username: "deployster", password: "", sources: { url: "default" } });
  });

  test("environment variables; empty counts as unset", () => {
    const e = { DEPLOYSTER_URL: "https://d:1", DEPLOYSTER_USERNAME: "u", DEPLOYSTER_PASSWORD: "p", DEPLOYSTER_CA_CERT: "/ca.pem" };
    expect(inv(["list", "app"], e).global).toEqual({
      url: "https://d:1", username: "u", password: "p", caCert: "/ca.pem", sources: { url: "DEPLOYSTER_URL", caCert: "DEPLOYSTER_CA_CERT" },
    });
    expect(inv(["list", "app"], { DEPLOYSTER_URL: "", DEPLOYSTER_USERNAME: "" }).global).toMatchObject({ url: "http://localhost:3000", username: "deployster" });
  });

  test("flags beat the environment, anywhere on the line; the last one wins", () => {
    const e = { DEPLOYSTER_URL: "https://env:1", DEPLOYSTER_PASSWORD: "envpw" };
    const r = inv(["list", "app", "--url", "http://a:1", "--password=pw", "--url=http://b:2", "--ca-cert", "/x.pem"], e);
    expect(r.global).toEqual({ url: "http://b:2", username: "deployster", password: "pw", caCert: "/x.pem", sources: { url: "--url", caCert: "--ca-cert" } });
  });

  test("an empty --password is a value, not a missing one", () => {
    expect(inv(["list", "app", "--password", ""], { DEPLOYSTER_PASSWORD: "env" }).global.password).toBe("");
  });
});

describe("help and version", () => {
  test("help forms", () => {
    expect(parseCtlArgs(["--help"], env)).toEqual({ kind: "help" });
    expect(parseCtlArgs(["-h"], env)).toEqual({ kind: "help" });
    expect(parseCtlArgs(["help"], env)).toEqual({ kind: "help" });
    expect(parseCtlArgs(["help", "d"], env)).toEqual({ kind: "help", command: "deploy" });
    expect(parseCtlArgs(["deploy", "--help"], env)).toEqual({ kind: "help", command: "deploy" });
    expect(parseCtlArgs(["run", "app", "v1", "--", "--help"], env).kind).toBe("invocation");
    expect(parseCtlArgs(["help", "nope"], env).kind).toBe("usage-error");
  });
  test("version", () => {
    expect(parseCtlArgs(["--version"], env)).toEqual({ kind: "version" });
    expect(parseCtlArgs(["-v"], env)).toEqual({ kind: "version" });
  });
});

test("parseDuration", () => {
  expect(parseDuration("90s")).toBe(90_000);
  expect(parseDuration("15m")).toBe(900_000);
  expect(parseDuration("1h30m")).toBe(5_400_000);
  expect(parseDuration("500ms")).toBe(500);
  expect(parseDuration("2")).toBe(2000);
  expect(parseDuration("1.5s")).toBe(1500);
  expect(parseDuration("soon")).toBeUndefined();
  expect(parseDuration("5x")).toBeUndefined();
  expect(parseDuration("")).toBeUndefined();
});
