/**
 * Ctrl-C reaches the engine itself: the command's abort signal stops the run, so nothing
 * starts after the interrupt, every container is gone, and the run's own clean-up (the
 * per-invocation scratch folders) happens before the process exits.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, cleanupWorkspaces, containersOf, engineLeftovers, newRunId, prepare, TIMEOUT, workspace } from "./support";

beforeAll(prepare, TIMEOUT);
afterAll(async () => {
  cleanupWorkspaces();
  expect(await engineLeftovers()).toEqual([]);
});

/** Three resources whose state query never answers; with --parallelism 1 they run one after another. */
const MANIFEST = `resources:
  first: {type: deployster-fixture/rt-hang-state}
  second: {type: deployster-fixture/rt-hang-state}
  third: {type: deployster-fixture/rt-hang-state}
`;

describe("Ctrl-C stops the engine (one abort signal)", () => {
  test("Ctrl-C mid-plan: exit 130, nothing starts after it, no container and no scratch folder left", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, "deployster.yaml"), MANIFEST);
    mkdirSync(join(cwd, ".conf"));
    const runId = newRunId();
    const p = Bun.spawn([BIN, "plan", "--no-runners", "--parallelism", "1"], {
      cwd,
      env: { ...process.env, CONF_DIR: join(cwd, ".conf"), DEPLOYSTER_RUN_ID: runId },
      stdout: "pipe",
      stderr: "pipe",
    });
    const killer = setTimeout(() => p.kill("SIGKILL"), 120_000);
    const err = new Response(p.stderr).text();
    const out = new Response(p.stdout).text();
    let running: any;
    for (let i = 0; i < 600 && !running; i++) {
      running = (await containersOf(runId)).find((c) => c.Labels["deployster.phase"] === "state" && c.State === "running");
      if (!running) await Bun.sleep(100);
    }
    p.kill("SIGINT");
    const code = await p.exited;
    clearTimeout(killer);
    await out;
    expect(running).toBeDefined();
    expect(code).toBe(130);
    expect(await err).toContain("plan interrupted: containers removed");
    // Nothing was started by a run that had been told to stop, and nothing is left of it.
    expect(await containersOf(runId)).toEqual([]);
    await Bun.sleep(1500);
    expect(await containersOf(runId)).toEqual([]);
    const scratch = join(cwd, ".deployster", "work", ".scratch");
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([]);
  }, TIMEOUT);
});
