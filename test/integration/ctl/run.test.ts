/**
 * `ctl run` through the compiled binary against a real serve + engine: the output streams
 * verbatim (trailer included) and the exit code is the task's: 0, 3, and 124 on timeout.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import {
  BIN, FixtureTags, PASSWORD, type TestServer, assertNoLeftovers, cleanupFile, ensureBinary, makeDeployctlLink,
  requireDocker, runBinary, startServer,
} from "./harness";

const FILE = "run";
const SERVICE = "ctltest-run";
const tags = new FixtureTags();
let server: TestServer;
let link: { path: string; dir: string };

beforeAll(async () => {
  await requireDocker();
  await ensureBinary();
  // deployster/app has no ENTRYPOINT: the command string runs through /bin/sh -c.
  await tags.tag("deployster/app:v1", SERVICE, "v1");
  // deployster/task has one: the command string reaches it as one argument.
  await tags.tag("deployster/task:v1", SERVICE, "entrypoint");
  link = makeDeployctlLink();
  server = await startServer({ fileLabel: FILE });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (link) rmSync(link.dir, { recursive: true, force: true });
  await cleanupFile(FILE);
  await tags.remove();
  await assertNoLeftovers(FILE);
}, 60_000);

const env = () => ({ DEPLOYSTER_URL: server.url, DEPLOYSTER_PASSWORD: PASSWORD });
const ctl = (args: string[]) => runBinary([BIN, "ctl", ...args], env());

test("exit 0: the output, then the `Exited (0)` trailer", async () => {
  const r = await ctl(["run", SERVICE, "v1", "echo", "hello", "world"]);
  expect(r.err).toBe("");
  expect(r.out).toBe("hello world\n\nExited (0) \n");
  expect(r.code).toBe(0);
}, 60_000);

test("exit 3: the task's own code", async () => {
  const r = await ctl(["r", SERVICE, "v1", "echo before; echo oops >&2; exit 3"]);
  expect(r.code).toBe(3);
  // stdout and stderr travel separately in the engine: their relative order is not fixed
  expect(r.out).toContain("before\n");
  expect(r.out).toContain("oops\n");
  expect(r.out).toMatch(/\nExited \(3\) [^\n]*\n$/);
  expect(r.err).toBe("");
}, 60_000);

test("exit 124: the task timed out (a server with --task-timeout 3s)", async () => {
  // Its own server: a short timeout on the main one would also catch slow starts under load.
  const short = await startServer({ fileLabel: FILE, args: ["--task-timeout", "3s"] });
  try {
    const started = Date.now();
    const r = await runBinary([BIN, "ctl", "run", SERVICE, "v1", "--", "sleep", "60"], { DEPLOYSTER_URL: short.url, DEPLOYSTER_PASSWORD: PASSWORD });
    expect(r.code).toBe(124);
    expect(r.out).toMatch(/\nExited \(124\) The task timed out after 3s\. Forcefully removing container\.\n$/);
    expect(r.err).toBe("");
    expect(Date.now() - started).toBeLessThan(50_000);
  } finally {
    await short.stop();
  }
}, 90_000);

test("-- passes options to the task verbatim", async () => {
  const r = await ctl(["run", SERVICE, "v1", "--", "ls", "-la", "/bin/sh"]);
  expect(r.code).toBe(0);
  expect(r.out).toContain("/bin/sh");
  expect(r.out).toEndWith("\nExited (0) \n");
}, 60_000);

test("an image with an ENTRYPOINT gets the command as one argument", async () => {
  const r = await ctl(["run", SERVICE, "entrypoint", "--", "exit=5", "-x"]);
  // stderr is interleaved in the stream as produced: check the stdout lines on their own
  expect(r.out.split("\n").filter((l) => /^arg/.test(l))).toEqual(["argc=1", "arg=exit=5 -x"]);
  expect(r.out).toContain("this line goes to stderr\n");
  expect(r.out).toEndWith("\nExited (5) \n");
  expect(r.code).toBe(5);
}, 60_000);

test("output streams as it arrives, not at the end", async () => {
  const proc = Bun.spawn([BIN, "ctl", "run", SERVICE, "v1", "echo first; sleep 2; echo second"], {
    env: { ...process.env, ...env() }, stdout: "pipe", stderr: "pipe",
  });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const start = Date.now();
  let text = "";
  let firstAt = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    if (!firstAt && text.includes("first\n")) firstAt = Date.now() - start;
  }
  const total = Date.now() - start;
  expect(await proc.exited).toBe(0);
  expect(text).toBe("first\nsecond\n\nExited (0) \n");
  expect(total - firstAt).toBeGreaterThan(1000);
}, 60_000);

test("a version whose image doesn't exist: Task failed to launch :(, exit 1", async () => {
  const r = await ctl(["run", SERVICE, "v404", "true"]);
  expect(r.code).toBe(1);
  const lines = r.out.split("\n");
  expect(lines[0]).toBe("Task failed to launch :(");
  expect(lines[1]).toMatch(/^-- Response Status: \d{3} /);
  expect(lines[2]).toStartWith("-- Response Body: ");
}, 120_000);

test("a stream cut before its Exited line (server killed mid-task): one line, exit 1", async () => {
  const doomed = await startServer({ fileLabel: FILE });
  try {
    const proc = Bun.spawn([BIN, "ctl", "run", SERVICE, "v1", "echo started; sleep 60"], {
      env: { ...process.env, DEPLOYSTER_URL: doomed.url, DEPLOYSTER_PASSWORD: PASSWORD }, stdout: "pipe", stderr: "pipe",
    });
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    let out = "";
    while (!out.includes("started\n")) {
      const { done, value } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    doomed.proc.kill("SIGKILL");
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    const err = await new Response(proc.stderr).text();
    expect(await proc.exited).toBe(1);
    expect(out).toBe("started\n");
    expect(err.trimEnd().split("\n")).toHaveLength(1);
    expect(err).toMatch(/^Error: the task's output (stream from .* broke off|from .* ended without)/);
  } finally {
    await doomed.stop();
    // the killed server could not remove its task container: the label cleanup in afterAll does
  }
}, 90_000);

test("invoked as deployctl", async () => {
  const r = await runBinary([link.path, "run", SERVICE, "v1", "--", "echo", "-n", "hi"], env());
  expect(r.out).toBe("hi\nExited (0) \n");
  expect(r.code).toBe(0);
}, 60_000);
