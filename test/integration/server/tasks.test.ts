/**
 * Tasks (spec section 3, decision 9) on the real engine: streamed output, the exact
 * trailer, the ENTRYPOINT rule and argv arrays, unique names, removal on completion, on
 * client disconnect and on shutdown, the timeout trailer, and no write deadline (a task of
 * 90 seconds streams to the end: it runs in the background while the other tests run).
 */
import type { ContainerInspect } from "../../../src/docker/types";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { listContainers } from "../../../src/docker/containers";
import { docker, PREFIX, startServe, TestScope, waitFor, type Serve } from "./harness";

const scope = new TestScope("tasks");
const SVC = "srvtask";
const ENTRY = "srvtaskentry";
let s: Serve;
let long: Promise<{ body: string; chunks: { at: number; text: string }[]; ms: number }>;

async function taskContainers(): Promise<any[]> {
  return listContainers(docker, { all: true, labels: [scope.fileLabel, "deployster.component=serve-task"] });
}

/** Reads a task response, remembering when each chunk arrived. */
async function readStream(res: Response): Promise<{ body: string; chunks: { at: number; text: string }[] }> {
  const chunks: { at: number; text: string }[] = [];
  const dec = new TextDecoder();
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push({ at: Date.now(), text: dec.decode(c, { stream: true }) });
  return { body: chunks.map((c) => c.text).join(""), chunks };
}

function task(command: string | string[], version = "v1", service = SVC): Promise<Response> {
  return s.call("POST", `/v1/services/${service}/tasks`, { task: { version, command } });
}

beforeAll(async () => {
  await scope.tag(SVC, ["v1"]);
  await scope.tagAs("deployster/task:v1", ENTRY, "v1");
  s = await startServe({ scope });
  // The 90-second task, started first and checked last.
  const t0 = Date.now();
  long = task("i=1; while [ $i -le 9 ]; do echo tick $i; sleep 10; i=$((i+1)); done; echo done").then(async (res) => {
    expect(res.status).toBe(200);
    return { ...(await readStream(res)), ms: Date.now() - t0 };
  });
});

afterAll(async () => {
  expect(await s?.stop()).toBe(0);
  expect(await scope.cleanup()).toEqual([]);
});

describe("tasks", () => {
  test("exit 0: output then exactly `\\nExited (0) \\n`; text/plain, chunked", async () => {
    const res = await task("echo hi");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("transfer-encoding")).toBe("chunked");
    expect(await res.text()).toBe("hi\n\nExited (0) \n");
  });

  test("exit 3 with stdout and stderr", async () => {
    const body = await (await task("echo to-stdout; echo to-stderr >&2; exit 3")).text();
    expect(body).toContain("to-stdout\n");
    expect(body).toContain("to-stderr\n");
    expect(body.endsWith("\nExited (3) \n")).toBe(true);
  });

  test("an image without ENTRYPOINT runs the string through /bin/sh -c", async () => {
    const body = await (await task("a=1; b=2; echo $((a+b)) | tr 3 X")).text();
    expect(body).toBe("X\n\nExited (0) \n");
  });

  test("an image with an ENTRYPOINT gets the string as one argument", async () => {
    const body = await (await task("exit=3 hello world", "v1", ENTRY)).text();
    expect(body).toContain("argc=1\n");
    expect(body).toContain("arg=exit=3 hello world\n");
    expect(body).toContain("this line goes to stderr\n");
    expect(body.endsWith("\nExited (3) \n")).toBe(true);
  });

  test("command as a JSON array: argv, with or without an ENTRYPOINT", async () => {
    const withEntry = await (await task(["exit=5", "two words"], "v1", ENTRY)).text();
    // (stderr may interleave anywhere: compare the stdout lines only)
    expect(withEntry.split("\n").filter((l) => l.startsWith("arg"))).toEqual(["argc=2", "arg=exit=5", "arg=two words"]);
    expect(withEntry.endsWith("\nExited (5) \n")).toBe(true);
    const plain = await (await task(["echo", "a  b", "$HOME"])).text();
    expect(plain).toBe("a  b $HOME\n\nExited (0) \n");
  });

  test("a missing command exits 127 through the shell; a missing image is a 500 ERROR", async () => {
    expect((await (await task("no-such-command")).text()).endsWith("\nExited (127) \n")).toBe(true);
    const res = await task("echo hi", "v404");
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("text/plain");
    const body = await res.text();
    expect(body).toStartWith("ERROR: ");
    expect(body).toContain(`${PREFIX}/srvtask:v404`);
    expect(body.endsWith("\n")).toBe(true);
  });

  test("task containers: unique names, no extra mounts, privileges or host networking", async () => {
    const [c] = await waitFor("the long task's container", async () => {
      const cs = await taskContainers();
      return cs.length > 0 ? cs : undefined;
    }, 30_000);
    const info = await docker.json<ContainerInspect>("GET", `/containers/${c.Id}/json`);
    expect(info.Name).toMatch(new RegExp(`^/${SVC}-v1-task-[0-9a-f]{12}$`));
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.HostConfig.Binds ?? []).toEqual([]);
    expect(info.Mounts).toEqual([]);
    expect(info.HostConfig.CapAdd ?? []).toEqual([]);
    expect(["default", "bridge"]).toContain(info.HostConfig.NetworkMode);
    expect(info.HostConfig.PidMode).toBe("");
    expect(info.Config.Labels).toMatchObject({ "deployster.managed": "true", "deployster.service": SVC, "deployster.version": "v1" });
  });

  test("malformed task bodies → 400", async () => {
    expect((await s.json("POST", `/v1/services/${SVC}/tasks`, {})).status).toBe(400);
    expect((await s.json("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1" } })).status).toBe(400);
    expect((await s.json("POST", `/v1/services/${SVC}/tasks`, "{oops")).status).toBe(400);
  });

  test("output streams as produced", async () => {
    const res = await task("echo first; sleep 2; echo second");
    const { body, chunks } = await readStream(res);
    expect(body).toBe("first\nsecond\n\nExited (0) \n");
    const first = chunks.find((c) => c.text.includes("first"))!;
    const last = chunks[chunks.length - 1]!;
    expect(last.at - first.at).toBeGreaterThan(1500);
  });

  test("tasks of the same version run at once (unique names) and leave no container", async () => {
    const bodies = await Promise.all([1, 2, 3].map((i) => task(`sleep 1; echo task-${i}`).then((r) => r.text())));
    expect(bodies).toEqual([1, 2, 3].map((i) => `task-${i}\n\nExited (0) \n`));
    // only the 90-second task remains
    await waitFor("finished task containers to be removed", async () => (await taskContainers()).length === 1, 10_000);
  });

  test("a client that disconnects kills and removes its task", async () => {
    const ctl = new AbortController();
    const res = await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "echo started; sleep 120" } }, { signal: ctl.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("started");
    expect((await taskContainers()).length).toBe(2);
    ctl.abort();
    await waitFor("the abandoned task's container to go", async () => (await taskContainers()).length === 1, 20_000);
  });
});

describe("timeouts and shutdown", () => {
  test("--task-timeout: exit 124 and the trailer with the real duration; the container is removed", async () => {
    const short = await startServe({ scope, args: ["--task-timeout", "2s"] });
    try {
      const t0 = Date.now();
      const res = await short.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "echo begin; sleep 60" } });
      const body = await res.text();
      // (on a loaded machine the 2 s may end before the echo ran: the trailer is what matters)
      expect(body.replace(/^begin\n/, "")).toBe("\nExited (124) The task timed out after 2s. Forcefully removing container.\n");
      expect(Date.now() - t0).toBeLessThan(15_000);

      expect(await short.stop()).toBe(0);
    } finally {
      await short.kill();
    }
    await waitFor("task containers of the stopped server to go", async () => (await taskContainers()).length <= 1, 20_000);
  }, 60_000);

  test("SIGTERM while a task runs: the task is killed with a trailer and removed, the server exits 0", async () => {
    const other = await startServe({ scope });
    try {
      const running = await other.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "echo up; sleep 60" } });
      const reader = (running.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      const stopping = other.stop();
      let rest = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += new TextDecoder().decode(value);
      }
      expect(await stopping).toBe(0);
      expect(rest).toMatch(/\nExited \(\d+\) The server is shutting down; the task was killed\.\n$/);
    } finally {
      await other.kill();
    }
    await waitFor("the killed task's container to go", async () => (await taskContainers()).length <= 1, 20_000);
  }, 60_000);

  test("no write deadline: a 90-second task streams to the end", async () => {
    const { body, chunks, ms } = await long;
    expect(ms).toBeGreaterThan(89_000);
    for (let i = 1; i <= 9; i++) expect(body).toContain(`tick ${i}\n`);
    expect(body.endsWith("done\n\nExited (0) \n")).toBe(true);
    // ticks arrived over time, not all at the end
    const firstTick = chunks.find((c) => c.text.includes("tick 1"))!;
    expect(chunks[chunks.length - 1]!.at - firstTick.at).toBeGreaterThan(80_000);
    await waitFor("all task containers to go", async () => (await taskContainers()).length === 0, 10_000);
  }, 150_000);
});
