/**
 * `deployster type check IMAGE` through the compiled binary on the fixture types: good ones
 * conform (exit 0), each broken one fails (exit 1) naming the phase and the rule it breaks,
 * and nothing is left behind (containers by run id, the throwaway workspace).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupWorkspaces, deployster, ensureFixtureImages, prepare, TIMEOUT, workspace } from "./support";

let ws: string;
/** The checker's TMPDIR: its throwaway workspaces go there, away from other runs'. */
let tmp: string;

beforeAll(async () => {
  await prepare();
  await ensureFixtureImages("rt-example", "deployster-fixture/rt-example:latest");
  await ensureFixtureImages("rt-check", "deployster-fixture/rt-check-side-effect:latest");
  ws = workspace();
  writeFileSync(join(ws, "file.yaml"), "path: check.txt\ncontent: hello\n");
  writeFileSync(join(ws, "value.json"), '{"value": "v"}');
  writeFileSync(join(ws, "motd.yaml"), "file: motd.txt\ncontent: Hello, world!\n");
  tmp = join(ws, "tmp");
  mkdirSync(tmp);
});

afterAll(() => {
  cleanupWorkspaces();
});

const check = (image: string, ...args: string[]) =>
  deployster(["type", "check", `deployster-fixture/${image}`, ...args], { cwd: ws, timeoutMs: 120_000, env: { TMPDIR: tmp } });

/** The report line of a failure: `FAIL  <phase>  [<rule>] ...`. */
const failLine = (phase: string, rule: string) => new RegExp(`FAIL  ${phase.padEnd(12)}  \\[${rule.replace(".", "\\.")}\\] `);

describe("type check: conforming types", () => {
  test("rt-file (a writable plug, STALE then actions then VALID) conforms", async () => {
    const r = await check("rt-file", "--config", "file.yaml");
    expect(r.stdout).toContain("ok    plugs         plug 'files' mounted at /plug (rw)");
    expect(r.stdout).toContain("ok    action        'create' exits 0");
    expect(r.stdout).toContain("ok    recheck       VALID after the actions");
    expect(r.stdout).toContain("ok    second-state  VALID again, with the same state");
    expect(r.stdout).toContain("deployster-fixture/rt-file conforms to the resource protocol");
    expect(r.stdout).not.toContain("FAIL");
    expect(r.code).toBe(0);
  }, TIMEOUT);

  test("PROTOCOL.md's worked example (rt-example) conforms", async () => {
    const r = await check("rt-example", "--config", "motd.yaml");
    expect(r.stdout).toContain("'create' exits 0");
    expect(r.code).toBe(0);
  }, TIMEOUT);

  test("rt-value (always VALID) conforms, with a warning that no action was exercised", async () => {
    const r = await check("rt-value", "--config", "value.json");
    expect(r.stdout).toContain("warn  action        [action.exercised]");
    expect(r.stdout).toContain("conforms to the resource protocol (");
    expect(r.code).toBe(0);
  }, TIMEOUT);

  test("a config the type refuses is reported as such, not as the type's fault", async () => {
    const r = await check("rt-value");
    expect(r.stdout).toMatch(failLine("config", "config.accepted"));
    expect(r.stdout).toContain("must have required property 'value'");
    expect(r.stdout).toContain("pass one it accepts with --config FILE");
    expect(r.code).toBe(1);
  }, TIMEOUT);
});

describe("type check: broken types name the phase and the rule", () => {
  const cases: [string, string, string, string?][] = [
    ["rt-init-exit", "init", "init.exit-code", "stderr: init: cannot start"],
    ["rt-init-silent", "init", "init.json", "did not provide any JSON back"],
    ["rt-init-garbage", "init", "init.json", "provided invalid JSON"],
    ["rt-init-extra", "init", "init.shape", "has unknown key 'extra'"],
    ["rt-init-empty-action", "init", "init.state-action", "empty state_action"],
    ["rt-check-init-by-name", "init", "init.name-independent", "answered differently"],
    ["rt-check-bad-plug", "plugs", "plugs.request", "is not an absolute path"],
    ["rt-state-exit", "state", "state.exit-code", "stderr: state: backend unreachable"],
    ["rt-state-garbage", "state", "state.json", "provided invalid JSON"],
    ["rt-check-log-stdout", "state", "state.json", "log lines belong on stderr"],
    ["rt-state-extra", "state", "state.shape", "has unknown key 'surprise'"],
    ["rt-valid-actions", "state", "state.shape", "must not list actions"],
    ["rt-stale-no-actions", "state", "state.shape", "at least one action"],
    ["rt-action-fail", "action", "action.exit-code", "stderr: boom"],
    ["rt-stale-forever", "recheck", "recheck.valid", "still STALE after the actions (would run: noop)"],
    ["rt-check-side-effect", "second-state", "second-state.valid", "is STALE"],
  ];
  for (const [image, phase, rule, detail] of cases) {
    test(`${image}: ${rule}`, async () => {
      const r = await check(image);
      expect(r.stdout).toMatch(failLine(phase, rule));
      if (detail) expect(r.stdout).toContain(detail);
      expect(r.stdout).toContain(`deployster-fixture/${image} does NOT conform`);
      expect(r.stdout).toMatch(/fix: /);
      expect(r.code).toBe(1);
    }, TIMEOUT);
  }

  test("a state that hangs fails state.timeout under --state-timeout", async () => {
    const r = await check("rt-hang-state", "--state-timeout", "10s");
    expect(r.stdout).toMatch(failLine("state", "state.timeout"));
    expect(r.stdout).toContain("skip  action        not run: an earlier check failed");
    expect(r.code).toBe(1);
  }, TIMEOUT);

  test("the throwaway workspaces are gone", () => {
    expect(readdirSync(tmp)).toEqual([]);
  });
});
