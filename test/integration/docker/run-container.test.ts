import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { inspectContainer, killContainer, listContainers } from "../../../src/docker/containers";
import { runContainer } from "../../../src/docker/run";
import { BUSYBOX, docker, leftovers, removeByLabel, requireDocker } from "../../support/docker";

const LABEL = "deployster.test=docker-run";
const labels = { "deployster.test": "docker-run" };

beforeAll(async () => {
  await requireDocker();
});

afterAll(async () => {
  await removeByLabel(LABEL);
});

const sh = (script: string, extra: Partial<Parameters<typeof runContainer>[1]> = {}) =>
  runContainer(docker, { image: BUSYBOX, entrypoint: ["sh", "-c"], args: [script], labels, network: "none", ...extra });

describe("runContainer on the real engine", () => {
  test("1 MiB of binary stdin round-trips byte for byte", async () => {
    const input = randomBytes(1024 * 1024);
    const r = await runContainer(docker, { image: BUSYBOX, entrypoint: ["cat"], stdin: input, labels, network: "none" });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.length).toBe(input.length);
    expect(r.stdout.equals(input)).toBe(true);
    expect(r.stderr.length).toBe(0);
  });

  test("stdout and stderr stay separate, lines stream to callbacks", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const r = await sh("echo o1; echo e1 >&2; echo o2; echo e2 >&2; printf tail", {
      onStdoutLine: (l) => out.push(l),
      onStderrLine: (l) => err.push(l),
    });
    expect(r.stdout.toString()).toBe("o1\no2\ntail");
    expect(r.stderr.toString()).toBe("e1\ne2\n");
    expect(out).toEqual(["o1", "o2", "tail"]);
    expect(err).toEqual(["e1", "e2"]);
  });

  test("exit codes 0, 3 and 137 (killed)", async () => {
    expect((await sh("exit 0")).exitCode).toBe(0);
    expect((await sh("exit 3")).exitCode).toBe(3);
  });

  test("a container killed from outside reports 137", async () => {
    const mark = { "deployster.test": "docker-run", "deployster.test-case": "killed" };
    const r = await sh("echo ready; sleep 30", {
      labels: mark,
      onStdoutLine: async () => {
        const [c] = await listContainers(docker, { labels: ["deployster.test-case=killed"] });
        if (c) await killContainer(docker, c.Id, "SIGKILL");
      },
    });
    expect(r.exitCode).toBe(137);
    expect(r.timedOut).toBe(false);
    expect(r.stdout.toString()).toBe("ready\n");
  });

  test("env, workdir, binds and entrypoint/args reach the container", async () => {
    const r = await sh('echo "$GREETING"; pwd; cat /mnt/hosts-copy >/dev/null && echo mounted', {
      env: { GREETING: "hi there" },
      workdir: "/tmp",
      binds: ["/etc/hosts:/mnt/hosts-copy:ro"],
    });
    expect(r.stdout.toString()).toBe("hi there\n/tmp\nmounted\n");
  });

  test("a timeout kills and removes the container", async () => {
    const t0 = Date.now();
    const r = await sh("sleep 30", { timeoutMs: 1500 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBe(137);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(await inspectContainer(docker, r.containerId)).toBeNull();
  });

  test("an AbortSignal kills and removes the container", async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 1000);
    const r = await sh("sleep 30", { signal: ctl.signal });
    expect(r.aborted).toBe(true);
    expect(await inspectContainer(docker, r.containerId)).toBeNull();
  });

  test("8 concurrent runs all return their own output", async () => {
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        runContainer(docker, { image: BUSYBOX, entrypoint: ["sh", "-c"], args: [`cat; echo " run-${i}"`], stdin: `{"i":${i}}`, labels, network: "none" }),
      ),
    );
    runs.forEach((r, i) => {
      expect(r.exitCode).toBe(0);
      expect(r.stdout.toString()).toBe(`{"i":${i}} run-${i}\n`);
    });
  });

  test("a process that ignores its stdin still completes", async () => {
    const r = await sh("echo done", { stdin: "x".repeat(200_000) });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe("done\n");
  });

  test("SIGINT to the process removes the running container", async () => {
    const proc = Bun.spawn(["bun", `${import.meta.dir}/run-sigint.fixture.ts`], { stdout: "pipe", stderr: "inherit" });
    const reader = proc.stdout.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("started");
    const before = await listContainers(docker, { labels: ["deployster.test=docker-sigint"] });
    expect(before.length).toBe(1);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    const after = await listContainers(docker, { labels: ["deployster.test=docker-sigint"] });
    expect(after).toEqual([]);
  });

  test("SIGKILL of the process: the engine still removes the container once it exits", async () => {
    const label = "docker-sigkill";
    const proc = Bun.spawn(["bun", `${import.meta.dir}/run-sigint.fixture.ts`, "2", label], { stdout: "pipe", stderr: "inherit" });
    const first = await proc.stdout.getReader().read();
    expect(new TextDecoder().decode(first.value)).toContain("started");
    expect((await listContainers(docker, { labels: [`deployster.test=${label}`] })).length).toBe(1);
    proc.kill("SIGKILL");
    await proc.exited;
    let left = 1;
    for (let i = 0; i < 100 && left > 0; i++) {
      await Bun.sleep(100);
      left = (await listContainers(docker, { labels: [`deployster.test=${label}`] })).length;
    }
    expect(left).toBe(0);
  });

  test("nothing labelled by this file is left", async () => {
    expect((await leftovers(LABEL)).containers).toEqual([]);
  });
});
