/**
 * The runner agent (src/resource-types/runners/agent.c), for real:
 * - in a runner on the real engine (busybox fixture): PID 1 is the agent; invocations get
 *   their own stdin, output, exit code, environment, working directory and scratch folder,
 *   side by side; a timeout, an abort and the stdout cap kill the invocation's processes and
 *   leave the runner serving; stopping the runner removes its container.
 * - the compiled agent run directly on this machine, spoken to frame by frame: what happens
 *   at the edges (an exec that fails, a background process holding the output open, a
 *   malformed frame, the end of its stdin).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { inspectContainer } from "../../../src/docker/containers";
import { type AgentFrame, AgentFrameReader, encodeFrame, encodeStart, encodeStdin } from "../../../src/resource-types/runners/agent-protocol";
import { startRunner, type Runner, type RunnerEnvironment } from "../../../src/resource-types/runners/runner";
import { BUSYBOX, docker, removeByLabel, requireDocker } from "../../support/docker";

const LABEL = "deployster.test=runner-agent";
const AGENT = resolve(import.meta.dir, "../../../bin/deployster-agent");
const work = mkdtempSync(join(tmpdir(), "deployster-agent-test-"));
const env: RunnerEnvironment = { docker, runId: "runner-agent-test", labels: { "deployster.test": "runner-agent" }, workspace: "/", workDir: work, baseMounts: (s) => [`${s}:${work}:rw`] };
let runner: Runner;

beforeAll(async () => {
  await requireDocker();
  runner = await startRunner(env, BUSYBOX, []);
});

afterAll(async () => {
  await runner?.stop();
  await removeByLabel(LABEL);
  rmSync(work, { recursive: true, force: true });
});

/** The processes in the runner other than the agent and the `ps` asking. */
async function processesIn(r: Runner): Promise<string[]> {
  const ps = await r.exec({ cmd: ["ps", "-o", "pid,args"] });
  return ps.stdout
    .toString()
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/).slice(1).join(" "))
    .filter((args) => args !== "/.deployster-agent" && !args.startsWith("ps "));
}

/** What is still running in the runner once killed processes had a moment (≤ 50 looks) to go. */
async function processesLeftIn(r: Runner): Promise<string[]> {
  let left = await processesIn(r);
  for (let i = 0; i < 50 && left.length > 0; i++) left = await processesIn(r);
  return left;
}

describe("invocations in a runner", () => {
  test("PID 1 is the agent; 3 MiB of binary stdin round-trip byte for byte", async () => {
    const pid1 = await runner.exec({ cmd: ["cat", "/proc/1/cmdline"] });
    expect(pid1.stdout.toString()).toBe("/.deployster-agent\0");
    const input = randomBytes(3 * 1024 * 1024);
    const r = await runner.exec({ cmd: ["cat"], stdin: input });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.equals(input)).toBe(true);
    expect(r.stderr.length).toBe(0);
  });

  test("separate streams, line callbacks, exit codes; its own scratch folder, environment and working directory", async () => {
    const lines: string[] = [];
    const r = await runner.exec({ cmd: ["sh", "-c", 'echo o1; echo e1 >&2; pwd; echo "$DEPLOYSTER_SCRATCH"; ls -A "$DEPLOYSTER_SCRATCH" | wc -l; echo "$PATH"; exit 3'], onStderrLine: (l) => lines.push(l) });
    expect(r.exitCode).toBe(3);
    const [o1, cwd, scratch, count, path] = r.stdout.toString().trim().split("\n");
    expect([o1, cwd, count?.trim()]).toEqual(["o1", "/", "0"]);
    expect(scratch).toStartWith(`${work}/inv-`);
    // The container's environment, as the image sets it.
    expect(path).toContain("/bin");
    expect(lines).toEqual(["e1"]);
    const runnerDirs = readdirSync(join(work, ".scratch"));
    expect(runnerDirs).toHaveLength(1);
    // The runner's folder: the agent and the (now empty again) scratch folder.
    expect(readdirSync(join(work, ".scratch", runnerDirs[0]!)).sort()).toEqual(["agent", "work"]);
    expect(readdirSync(join(work, ".scratch", runnerDirs[0]!, "work"))).toEqual([]);
  });

  test("twenty invocations at once each get their own stdin back, nothing mixed", async () => {
    const inputs = Array.from({ length: 20 }, (_, i) => `${i}:${randomBytes(100_000).toString("base64")}`);
    const results = await Promise.all(inputs.map((stdin) => runner.exec({ cmd: ["sh", "-c", "cat; echo done >&2"], stdin })));
    expect(results.map((r) => r.stdout.toString() === inputs[results.indexOf(r)])).toEqual(inputs.map(() => true));
    expect(results.map((r) => [r.exitCode, r.stderr.toString()])).toEqual(inputs.map(() => [0, "done\n"]));
  });

  test("a signal's end is 128 + its number; a command that does not exist is 127 with the reason", async () => {
    expect((await runner.exec({ cmd: ["sh", "-c", "kill -9 $$"] })).exitCode).toBe(137);
    const missing = await runner.exec({ cmd: ["no-such-command"] });
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr.toString()).toBe("deployster runner: cannot run no-such-command: No such file or directory\n");
  });

  test("a timeout returns at once and kills the invocation's processes; the runner keeps serving", async () => {
    const started = Date.now();
    const r = await runner.exec({ cmd: ["sh", "-c", "sleep 61 & sleep 62"], timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await processesLeftIn(runner)).toEqual([]);
    expect(runner.usable).toBe(true);
    expect((await runner.exec({ cmd: ["true"] })).exitCode).toBe(0);
  });

  test("an abort returns at once and kills the invocation", async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    const r = await runner.exec({ cmd: ["sleep", "63"], signal: ctl.signal });
    expect(r.aborted).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(await processesLeftIn(runner)).toEqual([]);
  });

  test("the stdout cap reports the overflow and kills the invocation", async () => {
    const r = await runner.exec({ cmd: ["sh", "-c", "head -c 300000 /dev/zero; sleep 64"], maxStdoutBytes: 100_000 });
    expect(r.stdoutOverflow).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.stdout.length).toBeLessThanOrEqual(100_000);
    expect(await processesLeftIn(runner)).toEqual([]);
  });

  test("stop removes the runner's container and folder; later invocations are refused", async () => {
    const other = await startRunner(env, BUSYBOX, []);
    const folder = readdirSync(join(work, ".scratch")).length;
    expect(await inspectContainer(docker, other.id)).not.toBeNull();
    await other.stop();
    expect(await inspectContainer(docker, other.id)).toBeNull();
    expect(readdirSync(join(work, ".scratch"))).toHaveLength(folder - 1);
    expect(other.usable).toBe(false);
    await expect(other.exec({ cmd: ["true"] })).rejects.toThrow("its runner has stopped");
  });
});

/** The agent run directly: frames in, frames out. */
function spawnAgent() {
  const p = Bun.spawn([AGENT], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const frames: AgentFrame[] = [];
  const reader = new AgentFrameReader((f) => frames.push("data" in f ? { ...f, data: f.data.slice() } : f));
  const reading = (async () => {
    for await (const chunk of p.stdout) reader.push(chunk);
  })();
  const send = (...fs: Uint8Array[]) => {
    for (const f of fs) p.stdin.write(f);
    p.stdin.flush();
  };
  const start = (id: number, argv: string[]) => send(encodeStart(id, { cwd: "/", argv, env: {} }), ...encodeStdin(id, new Uint8Array(0)));
  const exitOf = async (id: number, withinMs = 10_000) => {
    for (const until = Date.now() + withinMs; Date.now() < until; await Bun.sleep(10)) {
      const z = frames.find((f) => f.type === "Z" && f.id === id);
      if (z && z.type === "Z") return z.status;
    }
    return undefined;
  };
  const text = (id: number, type: "O" | "X") =>
    frames
      .filter((f) => f.type === type && f.id === id)
      .map((f) => new TextDecoder().decode((f as { data: Uint8Array }).data))
      .join("");
  return { p, frames, send, start, exitOf, text, reading };
}

describe("the agent, frame by frame", () => {
  test("says ready with its version first; exits 0 at the end of its stdin", async () => {
    const a = spawnAgent();
    for (let i = 0; i < 100 && a.frames.length === 0; i++) await Bun.sleep(10);
    expect(a.frames[0]).toEqual({ type: "R", version: "deployster-agent 1" });
    a.p.stdin.end();
    expect(await a.p.exited).toBe(0);
  });

  test("at the end of its stdin it kills what still runs (in a runner the container's end would)", async () => {
    const a = spawnAgent();
    a.start(5, ["sleep", "68"]);
    for (let i = 0; i < 100 && !Bun.spawnSync(["pgrep", "-f", "^sleep 68$"]).stdout.toString(); i++) await Bun.sleep(20);
    expect(Bun.spawnSync(["pgrep", "-f", "^sleep 68$"]).stdout.toString()).not.toBe("");
    a.p.stdin.end();
    expect(await a.p.exited).toBe(0);
    let left = "x";
    for (let i = 0; i < 100 && left; i++, await Bun.sleep(20)) left = Bun.spawnSync(["pgrep", "-f", "^sleep 68$"]).stdout.toString();
    expect(left).toBe("");
  });

  test("a process left in the background holds no invocation open: its group ends with it", async () => {
    const a = spawnAgent();
    const started = Date.now();
    a.start(1, ["sh", "-c", "sleep 65 & echo started"]);
    expect(await a.exitOf(1)).toBe(0);
    expect(Date.now() - started).toBeLessThan(900);
    expect(a.text(1, "O")).toBe("started\n");
    // The sleep is gone: nothing of this agent's is left running.
    const pgrep = Bun.spawnSync(["pgrep", "-f", "^sleep 65$"]);
    expect(pgrep.stdout.toString()).toBe("");
    a.p.stdin.end();
    await a.p.exited;
  });

  test("a process that left its group and holds the output open: the exit is reported after the grace second", async () => {
    const a = spawnAgent();
    const started = Date.now();
    // The shell exits only once the escaped process has left its group (it marks that).
    const mark = join(work, "escaped");
    a.start(2, ["sh", "-c", `setsid sh -c 'touch "$0"; exec sleep 3' ${mark} & while [ ! -e ${mark} ]; do sleep 0.02; done; echo ok`]);
    expect(await a.exitOf(2)).toBe(0);
    expect(a.text(2, "O")).toBe("ok\n");
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(2_500);
    a.p.stdin.end();
    await a.p.exited;
  });

  test("kill ends the invocation's group with SIGKILL (137); an unknown id is ignored", async () => {
    const a = spawnAgent();
    a.start(3, ["sleep", "66"]);
    await Bun.sleep(100);
    a.send(encodeFrame("K", 99), encodeFrame("K", 3));
    expect(await a.exitOf(3)).toBe(137);
    a.p.stdin.end();
    expect(await a.p.exited).toBe(0);
  });

  test("a malformed frame ends the agent with exit 2 and its reason on stderr; an id in use too", async () => {
    const bad = spawnAgent();
    bad.send(new Uint8Array([0x51, 1, 0, 0, 0, 0, 0, 0, 0]));
    expect(await bad.p.exited).toBe(2);
    expect(await new Response(bad.p.stderr).text()).toBe("deployster-agent: unknown frame type\n");
    const twice = spawnAgent();
    // The first one still runs (a second) when the second start arrives.
    twice.send(encodeStart(4, { cwd: "/", argv: ["sleep", "1"], env: {} }), encodeStart(4, { cwd: "/", argv: ["true"], env: {} }));
    expect(await twice.p.exited).toBe(2);
    expect(await new Response(twice.p.stderr).text()).toBe("deployster-agent: start: invocation id in use\n");
  });

  test("is a static x86-64 executable: no interpreter, nothing dynamic to find in a type's image", async () => {
    const elf = new Uint8Array(await Bun.file(AGENT).arrayBuffer());
    const v = new DataView(elf.buffer);
    expect([...elf.subarray(0, 5)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2]);
    expect(v.getUint16(18, true)).toBe(0x3e); // x86-64
    const [phoff, phentsize, phnum] = [Number(v.getBigUint64(32, true)), v.getUint16(54, true), v.getUint16(56, true)];
    const types = Array.from({ length: phnum }, (_, i) => v.getUint32(phoff + i * phentsize, true));
    expect(types).toContain(1); // PT_LOAD
    expect(types).not.toContain(2); // PT_DYNAMIC
    expect(types).not.toContain(3); // PT_INTERP
  });
});
