/**
 * Resource types stay in their box: hostile fixture types (fixtures/images/rt-hostile) run
 * through the compiled binary on the real engine. They cannot make deployster write a host
 * file (symlinks planted where records go), flood it, nest JSON past the stack, stall it
 * with a config_schema pattern, nor read secrets back from its records; timeouts and Ctrl-C
 * keep working while they misbehave.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LINE_CUT_MARK } from "../../../src/docker/demux";
import { BIN, byName, cleanupWorkspaces, containersOf, deployster, ensureFixtureImages, engineLeftovers, expectNoContainers, newRunId, planDoc, prepare, TIMEOUT, workspace } from "./support";

const outsides: string[] = [];

beforeAll(async () => {
  await prepare();
  await ensureFixtureImages("rt-hostile", "deployster-fixture/rt-hostile-symlink:latest");
}, TIMEOUT);
afterAll(async () => {
  cleanupWorkspaces();
  for (const d of outsides.splice(0)) rmSync(d, { recursive: true, force: true });
  expect(await engineLeftovers()).toEqual([]);
});

/** Every file and folder under `dir` (relative paths), without following links. */
function listTree(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = `${prefix}${e.name}`;
    out.push(e.isSymbolicLink() ? `${rel} -> link` : rel);
    if (e.isDirectory()) out.push(...listTree(join(dir, e.name), `${rel}/`));
  }
  return out;
}

describe("a type cannot write outside its scratch dir", () => {
  test.concurrent("symlinks planted in the work dir are never written through; records are private; the type's writes stay in its scratch", async () => {
    const cwd = workspace("hostile-types");
    const outside = mkdtempSync(join(tmpdir(), "deployster-hostile-outside-"));
    outsides.push(outside);
    const victim = join(outside, "victim.txt");
    writeFileSync(victim, "original");
    const work = join(cwd, ".deployster", "work");
    const r = await deployster(["apply", "-y", "symlink.yaml", "--var", `target=${victim}`, "--var", `target_dir=${outside}`], { cwd });
    // The type attacked (it plants a link for its next action's records, writes into what it
    // sees as the work dir), and its state stays STALE, so the re-query fails.
    expect(r.stderr).toContain(`evil | planted ${work}/evil/act`);
    expect(r.stderr).toContain(`evil | wrote ${work}/planted.txt`);
    expect(r.stderr).toContain("error: evil: recheck failed: protocol error: expected 'evil' to be VALID after applying actions");
    expect(r.code).toBe(1);

    expect(readFileSync(victim, "utf8")).toBe("original");
    expect(readdirSync(outside)).toEqual(["victim.txt"]);
    expect(existsSync(join(cwd, "written-by-type.txt"))).toBe(false);
    const tree = listTree(work);
    expect(tree.filter((p) => p.includes("-> link") || p.includes("planted"))).toEqual([]);
    expect(readdirSync(join(work, ".scratch"))).toEqual([]);
    // records: init, two state queries, the action; 0600 files in 0700 folders
    for (const phase of ["init", "state", "act"]) {
      const dir = join(work, "evil", phase);
      expect(lstatSync(dir).isDirectory()).toBe(true);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const files = readdirSync(dir);
      expect(files.length).toBeGreaterThanOrEqual(3);
      for (const f of files) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(work).mode & 0o777).toBe(0o700);
    const actOut = readdirSync(join(work, "evil", "act")).find((f) => f.startsWith("stdout-"))!;
    expect(readFileSync(join(work, "evil", "act", actOut), "utf8")).toBe("PWNED by an action\n");
  }, TIMEOUT);

  test.concurrent("secret config values (secret: true, writeOnly: true) are masked in records and live output", async () => {
    const cwd = workspace("hostile-types");
    mkdirSync(join(cwd, "mem"));
    const password = "pa55word-from-a-var";
    const r = await deployster(["apply", "-y", "secret.yaml", "--var", `password=${password}`], { cwd });
    expect(r.code).toBe(0);
    expect(r.output).toContain("login | logging in as alice with *** and ***");
    expect(r.stdout).toContain("    action sees ***\n");
    expect(r.stdout).toContain("    action logs ***\n");
    expect(r.output).not.toContain(password);
    expect(r.output).not.toContain("hunter2-token-value");
    const work = join(cwd, ".deployster", "work", "login");
    let records = 0;
    for (const phase of ["state", "login"]) {
      for (const f of readdirSync(join(work, phase))) {
        const text = readFileSync(join(work, phase, f), "utf8");
        expect(text).not.toContain(password);
        expect(text).not.toContain("hunter2-token-value");
        if (f.startsWith("stdin-")) {
          expect(JSON.parse(text).config).toEqual({ user: "alice", password: "***", token: "***" });
          records++;
        }
      }
    }
    expect(records).toBe(3); // state, the action, the re-query
  }, TIMEOUT);
});

describe("a hostile type cannot freeze or break the engine", () => {
  test.concurrent("stdout of a JSON phase is capped (16 MiB): the container is killed, a protocol error names resource and phase", async () => {
    const cwd = workspace("hostile-types");
    const r = await deployster(["plan", "--json", "big-stdout.yaml"], { cwd });
    expect(r.code).toBe(1);
    const res = byName(planDoc(r));
    expect(res.big.error).toEqual({
      phase: "state",
      message: "state of 'big' stdout exceeded 16777216 bytes (the cap of a JSON answer; container killed and removed)",
    });
    expect(res.fine.status).toBe("VALID");
  }, TIMEOUT);

  test.concurrent("JSON nested 100,000 deep is a protocol error (the plan document still prints)", async () => {
    const cwd = workspace("hostile-types");
    const r = await deployster(["plan", "--json", "deep-json.yaml"], { cwd });
    expect(r.code).toBe(1);
    const res = byName(planDoc(r));
    expect(res.deep.error).toEqual({ phase: "state", message: "state of 'deep' answered JSON nested deeper than 64 levels (the limit of a type's answer)" });
    expect(res.fine.status).toBe("VALID");
    expect(r.stderr).not.toContain("internal error");
  }, TIMEOUT);

  test.concurrent("config_schema patterns run on a linear-time engine; a backreference is a clear error naming the type", async () => {
    const cwd = workspace("hostile-types");
    const r = await deployster(["plan", "--json", "patterns.yaml"], { cwd });
    expect(r.code).toBe(1);
    const res = byName(planDoc(r));
    expect(res.redos.error).toEqual({ phase: "config", message: `illegal config for 'redos.config.v': must match pattern "^(.+)+#$"` });
    // A backtracking engine gives up on this one and wrongly answers "no match".
    expect(res["redos-match"].status).toBe("VALID");
    expect(res.backref.error.phase).toBe("config");
    expect(res.backref.error.message).toStartWith(
      `protocol error: the config_schema of type 'deployster-fixture/rt-hostile-backref' (resource 'backref'): pattern "^(a)\\\\1$" cannot be used: `,
    );
    expect(res.fine.status).toBe("VALID");
  }, TIMEOUT);

  test.concurrent("state queries flooding without newlines: the stdout cap and --state-timeout stop them; output stays bounded", async () => {
    const cwd = workspace("hostile-types");
    // The timeout also bounds init, which a loaded machine can make slow: not too short.
    const r = await deployster(["plan", "flood-state.yaml", "--state-timeout", "12s"], { cwd, timeoutMs: 90_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("out  FAILED in state: state of 'out' stdout exceeded 16777216 bytes (the cap of a JSON answer; container killed and removed)");
    expect(r.stdout).toContain("err  FAILED in state: state of 'err' timed out after 12s (container killed and removed)");
    expect(r.stderr).toContain(LINE_CUT_MARK);
    expect(r.stderr.length).toBeLessThan(200_000);
  }, TIMEOUT);

  test.concurrent("an action flooding stdout without a newline: --action-timeout stops it; its live line is cut at 64 KiB", async () => {
    const cwd = workspace("hostile-types");
    const r = await deployster(["apply", "-y", "flood.yaml", "--action-timeout", "6s"], { cwd, timeoutMs: 90_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: flood: action failed: action 'flood' of 'flood' timed out after 6s (container killed and removed)");
    expect(r.stdout).toContain(`    flooding\n`);
    expect(r.stdout).toContain(`xxxx${LINE_CUT_MARK}\n`);
    expect(r.stdout.length).toBeLessThan(200_000);
    // the record keeps the first MiB and says how much more there was
    const dir = join(cwd, ".deployster", "work", "flood", "flood");
    const out = readFileSync(join(dir, readdirSync(dir).find((f) => f.startsWith("stdout-"))!), "utf8");
    expect(out).toStartWith("x".repeat(1024 * 1024));
    expect(out).toMatch(/\n\[deployster: \d+ more bytes not kept\]\n$/);
  }, TIMEOUT);

  test.concurrent("Ctrl-C while an action floods: container killed and removed, exit 130", async () => {
    const cwd = workspace("hostile-types");
    const runId = newRunId();
    mkdirSync(join(cwd, ".conf"));
    const p = Bun.spawn([BIN, "apply", "-y", "flood.yaml"], {
      cwd,
      env: { ...process.env, CONF_DIR: join(cwd, ".conf"), DEPLOYSTER_RUN_ID: runId },
      stdout: "pipe",
      stderr: "pipe",
    });
    let stdout = "";
    const out = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of p.stdout) stdout += decoder.decode(chunk, { stream: true });
      return stdout;
    })();
    const err = new Response(p.stderr).text();
    const killer = setTimeout(() => p.kill("SIGKILL"), 90_000);
    let running: any;
    for (let i = 0; i < 600 && !(running && stdout.includes("flooding")); i++) {
      running = (await containersOf(runId)).find((c) => c.Labels["deployster.phase"] === "action" && c.State === "running");
      if (!(running && stdout.includes("flooding"))) await Bun.sleep(100);
    }
    expect(running).toBeDefined();
    await Bun.sleep(500); // let it flood
    p.kill("SIGINT");
    expect(await p.exited).toBe(130);
    clearTimeout(killer);
    await out;
    expect(await err).toContain("apply stopped: interrupted");
    await expectNoContainers(runId);
  }, TIMEOUT);
});
