/**
 * Runners: the invocations of reusable types (image label deployster.reusable=true) are
 * run by the runner agent in one running container per (image, plug mounts) for the length
 * of a run.
 * Through the compiled binary on the real engine: containers created (counted from the
 * engine's events), per-invocation scratch folders, plugs never shared across runners, the
 * stdout cap, the fallback when a runner cannot start, a type that breaks its runner's
 * agent protocol, and runners that go away when deployster is killed. These tests pick their mode themselves (runners on, or --no-runners
 * where they compare), so the suite's DEPLOYSTER_TEST_RUNNERS mode does not apply.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { streamEvents } from "../../../src/docker/events";
import { docker } from "../../support/docker";
import { BIN, byName, cleanupWorkspaces, containersOf, deployster, ensureFixtureImages, engineLeftovers, newRunId, planDoc, prepare, TIMEOUT, workspace } from "./support";

beforeAll(async () => {
  await prepare();
  await ensureFixtureImages("rt-runner", "deployster-fixture/rt-runner-scratch:latest");
  await ensureFixtureImages("rt-lone-binary", "deployster-fixture/rt-lone-binary:latest");
}, TIMEOUT);
afterAll(async () => {
  cleanupWorkspaces();
  expect(await engineLeftovers()).toEqual([]);
});

/**
 * Runs `args` with a known run id; returns the result and the containers the engine created for it.
 * The events are watched live from before the run: replaying them afterwards with `since`
 * would read the engine's buffer of recent events, which holds only the last 256 (exec events
 * included), so concurrent runs pushed this run's creates out of it now and then.
 */
async function counted(args: string[], cwd: string) {
  const runId = newRunId();
  const created: any[] = [];
  const stop = new AbortController();
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const watching = streamEvents(
    docker,
    { signal: stop.signal, onOpen: () => opened(), filters: { type: ["container"], event: ["create"], label: [`deployster.run-id=${runId}`] } },
    (e) => created.push(e),
  );
  await Promise.race([open, watching]);
  const r = await deployster(args, { cwd, runId, asGiven: true });
  // A create's event is published before the create call answers; give the stream time to deliver it.
  await Bun.sleep(300);
  stop.abort();
  await watching;
  const phases = created.map((e) => e.Actor?.Attributes?.["deployster.phase"]).sort();
  return { ...r, phases };
}

/** Every path under `dir` (relative), without following links. */
function tree(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => [`${prefix}${e.name}`, ...(e.isDirectory() ? tree(join(dir, e.name), `${prefix}${e.name}/`) : [])]);
}

const AGENT = "/.deployster-agent";

describe("runners", () => {
  test.concurrent("one container per runner, not per invocation; each invocation gets its own fresh scratch folder; same plan with --no-runners", async () => {
    const cwd = workspace("runners");
    const work = join(cwd, ".deployster", "work");
    const on = await counted(["plan", "--json", "scratch.yaml"], cwd);
    expect(on.code).toBe(0);
    // init (no plugs) and the three state queries (no plugs): one runner for all four.
    expect(on.phases).toEqual(["runner"]);
    const res = byName(planDoc(on));
    const scratches = new Set<string>();
    for (const name of ["one", "two", "three"]) {
      expect(res[name].status).toBe("VALID");
      const state = res[name].state;
      expect(state.pid1).toBe(AGENT);
      expect(state.before).toBe("0");
      expect(state.scratch).toStartWith(`${work}/inv-`);
      scratches.add(state.scratch);
    }
    expect(scratches.size).toBe(3);
    // What the type wrote stayed in scratch folders, all removed: no "mark" in the work dir.
    expect(tree(work).filter((p) => p.includes("mark") || p.includes("runner-") || p.includes("inv-"))).toEqual([]);
    expect(readdirSync(join(work, ".scratch"))).toEqual([]);

    const off = await counted(["plan", "--no-runners", "--json", "scratch.yaml"], cwd);
    expect(off.code).toBe(0);
    expect(off.phases).toEqual(["state", "state", "state"]); // init's answer is cached by now
    const offRes = byName(planDoc(off));
    for (const name of ["one", "two", "three"]) {
      expect(offRes[name].status).toBe("VALID");
      expect(offRes[name].state.pid1).toBe("/bin/sh /rt/type.sh state");
      expect(offRes[name].state.scratch).toBe(work);
      expect(offRes[name].state.before).toBe("0");
    }
  }, TIMEOUT);

  test.concurrent("a type whose image holds one static binary and nothing else: one runner serves its init and states", async () => {
    const cwd = workspace("runners");
    const r = await counted(["plan", "--json", "lone-binary.yaml"], cwd);
    expect(r.stderr).not.toContain("no runner for");
    expect(r.code).toBe(0);
    expect(r.phases).toEqual(["runner"]);
    const res = byName(planDoc(r));
    expect([res.alone.status, res.alone.state]).toEqual(["VALID", { alone: true }]);
    expect([res["also-alone"].status, res["also-alone"].state]).toEqual(["VALID", { alone: true }]);
  }, TIMEOUT);

  test.concurrent("resources whose plug mounts differ never share a runner", async () => {
    const cwd = workspace("runners");
    const r = await counted(["plan", "--json", "plugs.yaml"], cwd);
    expect(r.code).toBe(0);
    // init's runner (no plugs), one for shared+also, one for other.
    expect(r.phases).toEqual(["runner", "runner", "runner"]);
    const res = byName(planDoc(r));
    expect(res.shared.state.mounts.trim()).toBe("/p/opt:rw /p/req:rw /p/ro:ro");
    expect(res.also.state.mounts.trim()).toBe("/p/opt:rw /p/req:rw /p/ro:ro");
    expect(res.other.state.mounts.trim()).toBe("/p/req:rw /p/ro:ro");
  }, TIMEOUT);

  test.concurrent("stdout past the cap in a runner: the protocol error names resource and phase; the other invocation is undisturbed", async () => {
    const cwd = workspace("runners");
    const r = await counted(["plan", "--json", "flood.yaml"], cwd);
    expect(r.code).toBe(1);
    const res = byName(planDoc(r));
    expect(res.flood.error).toEqual({
      phase: "state",
      message: "state of 'flood' stdout exceeded 16777216 bytes (the cap of a JSON answer; container killed and removed)",
    });
    expect(res.calm.status).toBe("VALID");
    expect(res.calm.state.pid1).toBe(AGENT);
  }, TIMEOUT);

  test.concurrent("a type that forges frames on its runner agent's stdout: that runner is dropped and the invocation fails with the reason; after 3 replacements, fresh containers (one notice)", async () => {
    const cwd = workspace("runners");
    const r = await counted(["plan", "--json", "--parallelism", "1", "breakers.yaml"], cwd);
    expect(r.code).toBe(1);
    expect(r.phases).toEqual(["runner", "runner", "runner", "runner", "state"]);
    expect(r.stderr.split("\n").filter((l) => l.includes("runners for"))).toEqual([
      "warning: no more runners for 'deployster-fixture/rt-runner-scratch' (3 were replaced in this run): its invocations run in fresh containers",
    ]);
    const res = byName(planDoc(r));
    for (const name of ["breaker1", "breaker2", "breaker3", "breaker4"]) {
      expect(res[name].error).toEqual({
        phase: "state",
        message: `state of '${name}' could not run: its runner stopped before the invocation ended (the runner agent sent a frame of unknown type "Q")`,
      });
    }
    expect(res.calm.status).toBe("VALID");
    expect(res.calm.state.pid1).toBe("/bin/sh /rt/type.sh state");
  }, TIMEOUT);

  test.concurrent("a runner that cannot start: one notice, and its invocations run in fresh containers", async () => {
    const cwd = workspace("runners");
    const r = await counted(["plan", "--json", "no-runner.yaml"], cwd);
    expect(r.code).toBe(0);
    const notices = r.stderr.split("\n").filter((l) => l.includes("no runner for"));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toStartWith("warning: no runner for 'deployster-fixture/rt-no-runner' (");
    expect(notices[0]).toEndWith("): its invocations run in fresh containers");
    expect(r.phases).toEqual(["init", "runner", "state", "state"]);
    const res = byName(planDoc(r));
    expect(res.first.state.pid1).toBe("/bin/sh /rt/type.sh state");
    expect(res.second.status).toBe("VALID");
  }, TIMEOUT);

  /** `apply -y` of the interrupt scenario, once its action runs visibly in a runner. */
  async function applyUntilActionRuns(cwd: string, runId: string) {
    mkdirSync(join(cwd, ".conf"));
    const p = Bun.spawn([BIN, "apply", "-y"], {
      cwd,
      env: { ...process.env, CONF_DIR: join(cwd, ".conf"), DEPLOYSTER_RUN_ID: runId },
      stdout: "pipe",
      stderr: "pipe",
    });
    const killer = setTimeout(() => p.kill("SIGKILL"), 120_000);
    let stdout = "";
    const out = (async () => {
      for await (const chunk of p.stdout) stdout += new TextDecoder().decode(chunk);
      clearTimeout(killer);
      return stdout;
    })();
    const err = new Response(p.stderr).text();
    let runner: any;
    for (let i = 0; i < 600 && !(runner && stdout.includes("waiting forever")); i++) {
      runner = (await containersOf(runId)).find((c) => c.Labels["deployster.phase"] === "runner" && c.State === "running");
      if (!(runner && stdout.includes("waiting forever"))) await Bun.sleep(100);
    }
    if (!runner || !stdout.includes("waiting forever")) {
      // Never leave the process (and its action's container) behind a failed test.
      p.kill("SIGINT");
      await p.exited;
      clearTimeout(killer);
    }
    expect(runner).toBeDefined();
    expect(stdout).toContain("waiting forever");
    return { p, out, err };
  }

  test.concurrent("Ctrl-C while an action runs in a runner: exit 130, the runner and its scratch folders are gone", async () => {
    const cwd = workspace("interrupt");
    const runId = newRunId();
    const { p, err } = await applyUntilActionRuns(cwd, runId);
    p.kill("SIGINT");
    expect(await p.exited).toBe(130);
    expect(await err).toContain("apply stopped: interrupted");
    expect(await containersOf(runId)).toEqual([]);
    expect(readdirSync(join(cwd, ".deployster", "work", ".scratch"))).toEqual([]);
  }, TIMEOUT);

  test.concurrent("deployster killed (SIGKILL) while an action runs in a runner: the runner exits and the engine removes it", async () => {
    const cwd = workspace("interrupt");
    const runId = newRunId();
    const { p, out } = await applyUntilActionRuns(cwd, runId);
    p.kill("SIGKILL");
    await p.exited;
    await out;
    // Nobody removes it: the runner agent sees its stdin close, exits, and AutoRemove acts.
    let left = await containersOf(runId);
    for (let i = 0; i < 300 && left.length > 0; i++) {
      await Bun.sleep(100);
      left = await containersOf(runId);
    }
    expect(left.map((c) => `${c.Names?.[0]} (${c.State})`)).toEqual([]);
  }, TIMEOUT);

  test.concurrent("identical plan documents and apply outcomes with and without runners", async () => {
    // The document without what differs between any two runs: run id, time, workspace path.
    const strip = (r: Awaited<ReturnType<typeof deployster>>, cwd: string) =>
      JSON.parse(JSON.stringify({ ...planDoc(r), run_id: undefined, created_at: undefined }).replaceAll(cwd, "WORKSPACE"));
    for (const scenario of ["dependency-state", "state-protocol-errors", "init-errors", "image-field"]) {
      const [a, b] = [workspace(scenario), workspace(scenario)];
      const on = await deployster(["plan", "--json"], { cwd: a, asGiven: true });
      const off = await deployster(["plan", "--no-runners", "--json"], { cwd: b, asGiven: true });
      expect([scenario, off.code]).toEqual([scenario, on.code]);
      expect(strip(off, b)).toEqual(strip(on, a));
    }
    const applied = await Promise.all(
      ["apply", "apply --no-runners"].map(async (cmd) => {
        const cwd = workspace("action-failures");
        const r = await deployster([...cmd.split(" "), "-y"], { cwd, asGiven: true });
        // Lines in a stable order (independent resources interleave), without timings. A
        // type's output line reads "    line" under its action's header when that action
        // happens to run alone at that moment, else "resource | line": timing decides, in
        // either mode, so both forms compare as "| line".
        const lines = r.output.replaceAll(cwd, "WORKSPACE").replace(/\(\d+(\.\d+)?m?s\)/g, "(T)").replace(/run \S+/g, "run X").split("\n").filter(Boolean);
        return { code: r.code, lines: lines.map((l) => l.replace(/^ {4}(?=\S)/, "| ").replace(/^[A-Za-z0-9_.-]+ \| /, "| ")).sort() };
      }),
    );
    expect(applied[1]).toEqual(applied[0]);
  }, TIMEOUT);
});
