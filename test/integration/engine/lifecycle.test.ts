/**
 * Containers and the user: timeouts, Ctrl-C, container labels, confirmation modes on a
 * real terminal and refusal without one.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { BIN, cleanupWorkspaces, containersOf, deployster, engineArgs, engineLeftovers, expectNoContainers, newRunId, prepare, RUNNERS, TIMEOUT, workspace } from "./support";

beforeAll(prepare, TIMEOUT);
afterAll(async () => {
  cleanupWorkspaces();
  expect(await engineLeftovers()).toEqual([]);
});

describe("timeouts and interruption", () => {
  test.concurrent("an action past --action-timeout is killed, removed, and fails its resource", async () => {
    const cwd = workspace("timeouts");
    const r = await deployster(["apply", "-y", "action.yaml", "--action-timeout", "2s"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: hangs: action failed: action 'wait' of 'hangs' timed out after 2s (container killed and removed)");
    expect(r.stdout).toContain("waiting forever");
  }, TIMEOUT);

  test.concurrent("a state query past --state-timeout fails only its resource", async () => {
    const cwd = workspace("timeouts");
    const r = await deployster(["plan", "state.yaml", "--state-timeout", "6s"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("hangs  FAILED in state: state of 'hangs' timed out after 6s (container killed and removed)");
    expect(r.stdout).toContain("fine   VALID");
  }, TIMEOUT);

  test.concurrent("Ctrl-C kills and removes the running container and exits 130; containers carry deployster labels", async () => {
    const cwd = workspace("interrupt");
    const runId = newRunId();
    mkdirSync(join(cwd, ".conf"));
    const p = Bun.spawn([BIN, ...engineArgs(["apply", "-y"])], {
      cwd,
      env: { ...process.env, CONF_DIR: join(cwd, ".conf"), DEPLOYSTER_RUN_ID: runId },
      stdout: "pipe",
      stderr: "pipe",
    });
    // Collect stdout as it streams, so SIGINT is sent only once the action is visibly
    // running (on a loaded machine the container can run before its output arrives).
    let stdout = "";
    const out = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of p.stdout) stdout += decoder.decode(chunk, { stream: true });
      return stdout;
    })();
    const err = new Response(p.stderr).text();
    // With runners the action runs in its type's runner (labelled phase=runner).
    const phase = RUNNERS ? "runner" : "action";
    let running: any;
    for (let i = 0; i < 600 && !(running && stdout.includes("waiting forever")); i++) {
      running = (await containersOf(runId)).find((c) => c.Labels["deployster.phase"] === phase && c.State === "running");
      if (!(running && stdout.includes("waiting forever"))) await Bun.sleep(100);
    }
    if (!running) {
      // Never leave the process (and its action's container) behind a failed test.
      p.kill("SIGINT");
      await p.exited;
    }
    expect(running).toBeDefined();
    expect(running.Labels).toMatchObject({
      "deployster.managed": "true",
      "deployster.run-id": runId,
      "deployster.phase": phase,
      ...(RUNNERS ? {} : { "deployster.resource": "hangs", "deployster.action": "wait" }),
    });
    p.kill("SIGINT");
    expect(await p.exited).toBe(130);
    expect(await out).toContain("waiting forever");
    expect(await err).toContain("apply stopped: interrupted");
    await expectNoContainers(runId);
  }, TIMEOUT);
});

/** Runs the binary on a pseudo-terminal (util-linux `script`), typing `answers`. */
async function onTerminal(cwd: string, args: string[], answers: string) {
  const runId = newRunId();
  const cmd = [BIN, ...engineArgs(args)].map((a) => `'${a}'`).join(" ");
  const p = Bun.spawn(["script", "-qec", cmd, "/dev/null"], {
    cwd,
    env: { ...process.env, CONF_DIR: join(cwd, ".conf"), DEPLOYSTER_RUN_ID: runId },
    stdin: new TextEncoder().encode(answers),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [output, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  await expectNoContainers(runId);
  return { code, output: output.replace(/\r/g, "") };
}

describe("confirmation", () => {
  test.concurrent("without a terminal and without --yes, apply refuses before doing anything", async () => {
    const cwd = workspace("confirm");
    const r = await deployster(["apply"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: apply asks for confirmation (-c ACTION) but stdin is not a terminal; pass --yes (or -c NO) to apply without asking\n");
    expect(existsSync(join(cwd, ".deployster"))).toBe(false);
    const no = await deployster(["apply", "-c", "NO"], { cwd });
    expect(no.code).toBe(0);
    expect(existsSync(join(cwd, "files/second.txt"))).toBe(true);
  }, TIMEOUT);

  test.concurrent("ONCE asks one question; no means nothing changes", async () => {
    const cwd = workspace("confirm");
    const no = await onTerminal(cwd, ["apply", "-c", "ONCE"], "n\n");
    expect(no.code).toBe(1);
    expect(no.output).toContain("Apply 2 action(s) on 2 resource(s)? [y/N]");
    expect(no.output).toContain("apply stopped: declined: nothing was changed");
    expect(existsSync(join(cwd, "files/first.txt"))).toBe(false);
    const yes = await onTerminal(cwd, ["apply", "-c", "ONCE"], "y\n");
    expect(yes.code).toBe(0);
    expect(yes.output.match(/\? \[y\/N\]/g)?.length).toBe(1);
    expect(existsSync(join(cwd, "files/second.txt"))).toBe(true);
  }, TIMEOUT);

  test.concurrent("RESOURCE asks per resource, ACTION per action; a no stops the rest", async () => {
    const cwd = workspace("confirm");
    const perResource = await onTerminal(cwd, ["apply", "-c", "RESOURCE"], "y\nn\n");
    expect(perResource.code).toBe(1);
    expect(perResource.output).toContain("Apply 1 action(s) to 'first' (create)? [y/N]");
    expect(perResource.output).toContain("Apply 1 action(s) to 'second' (create)? [y/N]");
    expect(perResource.output).toContain("second: declined, not applied");
    expect(existsSync(join(cwd, "files/first.txt"))).toBe(true);
    expect(existsSync(join(cwd, "files/second.txt"))).toBe(false);

    const cwd2 = workspace("confirm");
    const perAction = await onTerminal(cwd2, ["apply"], "y\ny\n"); // ACTION is the default
    expect(perAction.code).toBe(0);
    expect(perAction.output).toContain("Run action 'create' of 'first' (Create first.txt)? [y/N]");
    expect(perAction.output).toContain("Run action 'create' of 'second' (Create second.txt)? [y/N]");
    expect(existsSync(join(cwd2, "files/second.txt"))).toBe(true);
  }, TIMEOUT);
});
