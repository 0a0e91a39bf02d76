import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { requireDocker } from "../../support/docker";

const BIN = join(import.meta.dir, "../../../bin/deployster");

function run(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([BIN, ...args], { env: { ...process.env, ...env } });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

test("the compiled binary exists (scripts/setup.sh builds it)", () => {
  expect(existsSync(BIN)).toBe(true);
});

test("compiled binary: `version` reports client, engine and API versions", async () => {
  await requireDocker();
  const r = run(["version"]);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^deployster \d+\.\d+\.\d+\n/);
  expect(r.out).toMatch(/engine\s+\S+ \(API 1\.\d+, speaking 1\.\d+\) linux\/\w+ at unix:\/\/\/var\/run\/docker\.sock/);
});

test("compiled binary: an unreachable engine is one clear line naming the socket, exit 1", () => {
  const r = run(["version"], { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
  expect(r.code).toBe(1);
  expect(r.err).toBe(
    "error: cannot reach the Docker engine at unix:///nonexistent/docker.sock (no such socket); is dockerd running? (scripts/setup.sh starts it)\n",
  );
});

test("compiled binary: a refused TCP engine names the host", () => {
  const r = run(["version"], { DOCKER_HOST: "tcp://127.0.0.1:1" });
  expect(r.code).toBe(1);
  expect(r.err).toContain("cannot reach the Docker engine at tcp://127.0.0.1:1");
  expect(r.err.trim().split("\n").length).toBe(1);
});

test("compiled binary: --version, --help, unknown command", () => {
  expect(run(["--version"]).out).toMatch(/\d+\.\d+\.\d+/);
  const help = run(["--help"]);
  expect(help.code).toBe(0);
  for (const c of ["plan", "apply", "serve", "ctl", "version"]) expect(help.out).toContain(c);
  const bad = run(["frobnicate"]);
  expect(bad.code).toBe(1);
  expect(bad.err).toContain("unknown command: frobnicate");
});

test("compiled binary: an option without a command is one error line, not the help page", () => {
  for (const args of [["-e", "1"], ["--bogus"]]) {
    const r = run(args);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toBe(`error: unknown option ${args[0]} (see deployster --help)\n`);
  }
});

test("compiled binary: a reader that closes stdout early ends it quietly with 141, not an EPIPE stack", async () => {
  await requireDocker();
  const p = Bun.spawn([BIN, "version"], { stdout: "pipe", stderr: "pipe" });
  await p.stdout.cancel(); // the reader goes away before the first line is written
  const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  expect(err).toBe("");
  expect(code).toBe(141);
});
