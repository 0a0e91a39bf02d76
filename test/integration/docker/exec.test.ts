/**
 * execInContainer and runners on the real engine: a runner on the busybox fixture (its
 * PID 1 is deployster's idle program), and exec'd processes with their own stdin, output,
 * exit code, env and working directory; a timeout returns at once; the runner goes away
 * when its attach connection closes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectContainer } from "../../../src/docker/containers";
import { startRunner, type Runner } from "../../../src/resource-types/runners/runner";
import { BUSYBOX, docker, removeByLabel, requireDocker } from "../../support/docker";

const LABEL = "deployster.test=docker-exec";
const work = mkdtempSync(join(tmpdir(), "deployster-exec-test-"));
let runner: Runner;

beforeAll(async () => {
  await requireDocker();
  runner = await startRunner(
    { docker, runId: "docker-exec-test", labels: { "deployster.test": "docker-exec" }, workspace: "/", workDir: work, baseMounts: (s) => [`${s}:${work}:rw`] },
    BUSYBOX,
    [],
  );
});

afterAll(async () => {
  await runner?.stop();
  await removeByLabel(LABEL);
  rmSync(work, { recursive: true, force: true });
});

describe("exec in a runner", () => {
  test("PID 1 is the idle program; 1 MiB of binary stdin round-trips byte for byte", async () => {
    const pid1 = await runner.exec({ cmd: ["cat", "/proc/1/cmdline"] });
    expect(pid1.stdout.toString()).toBe("/.deployster-idle\0");
    const input = randomBytes(1024 * 1024);
    const r = await runner.exec({ cmd: ["cat"], stdin: input });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.equals(input)).toBe(true);
    expect(r.stderr.length).toBe(0);
  });

  test("separate streams, line callbacks, exit codes; its own scratch folder and working directory", async () => {
    const lines: string[] = [];
    const r = await runner.exec({ cmd: ["sh", "-c", 'echo o1; echo e1 >&2; pwd; echo "$DEPLOYSTER_SCRATCH"; ls -A "$DEPLOYSTER_SCRATCH" | wc -l; exit 3'], onStderrLine: (l) => lines.push(l) });
    expect(r.exitCode).toBe(3);
    const [o1, cwd, scratch, count] = r.stdout.toString().trim().split("\n");
    expect([o1, cwd, count?.trim()]).toEqual(["o1", "/", "0"]);
    expect(scratch).toStartWith(`${work}/inv-`);
    expect(lines).toEqual(["e1"]);
    // on the host under the runner's scratch folder, and removed once the invocation ended
    const runnerDirs = readdirSync(join(work, ".scratch"));
    expect(runnerDirs).toHaveLength(1);
    // The runner's folder: its idle program and its (now empty again) scratch folder.
    expect(readdirSync(join(work, ".scratch", runnerDirs[0]!)).sort()).toEqual(["idle", "work"]);
    expect(readdirSync(join(work, ".scratch", runnerDirs[0]!, "work"))).toEqual([]);
  });

  test("the stdout cap stops reading and reports the overflow", async () => {
    const r = await runner.exec({ cmd: ["sh", "-c", "head -c 300000 /dev/zero; sleep 30"], maxStdoutBytes: 100_000 });
    expect(r.stdoutOverflow).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.stdout.length).toBeLessThanOrEqual(100_000);
  });
});

describe("runner lifetime", () => {
  test("a timeout returns at once; the runner, retired, is removed once nothing runs in it", async () => {
    const other = await startRunner({ docker, runId: "docker-exec-test", labels: { "deployster.test": "docker-exec" }, workspace: "/", workDir: work, baseMounts: (s) => [`${s}:${work}:rw`] }, BUSYBOX, []);
    const started = Date.now();
    const r = await other.exec({ cmd: ["sleep", "60"], timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(other.usable).toBe(false);
    for (let i = 0; i < 100 && (await inspectContainer(docker, other.id)); i++) await Bun.sleep(100);
    expect(await inspectContainer(docker, other.id)).toBeNull();
  });
});
