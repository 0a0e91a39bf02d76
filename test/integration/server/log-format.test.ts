/**
 * `deployster serve --log-format json` through the compiled binary: every line it prints,
 * the start-up banner, the logs and the shutdown, is one JSON object {time, level, msg};
 * a start-up failure too (exit 1); an unknown format is a one-line error.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { BIN, cleanEnv, ensureBinary, startServe, TestScope } from "./harness";

const scope = new TestScope("logformat");
afterAll(async () => {
  expect(await scope.cleanup()).toEqual([]);
});

function jsonLines(text: string): any[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
}

describe("serve --log-format json", () => {
  test("banner, logs and shutdown: one JSON object per line", async () => {
    const s = await startServe({ scope, args: ["--log-format", "json", "-v"] });
    expect((await s.call("GET", "/v1/version")).status).toBe(200);
    expect(await s.stop()).toBe(0);
    const entries = jsonLines(s.output());
    for (const e of entries) {
      expect(Object.keys(e).sort()).toEqual(["level", "msg", "time"]);
      expect(["info", "warn", "error", "debug"]).toContain(e.level);
      expect(Number.isNaN(Date.parse(e.time))).toBe(false);
    }
    const msgs = entries.map((e) => e.msg);
    expect(msgs[0]).toStartWith("deployster serve ");
    expect(msgs[0]).toContain(`listening on ${s.url}`);
    expect(msgs).toContain("shutting down: no new requests; rollouts stop at their next safe point");
    expect(msgs.at(-1)).toBe("stopped");
  }, 60_000);

  test("a start-up failure is a JSON error entry; an unknown format a one-line error", async () => {
    await ensureBinary();
    const env = cleanEnv({ DOCKER_HOST: "unix:///nonexistent/docker.sock", DEPLOYSTER_PASSWORD: "x" });
    const down = Bun.spawnSync([BIN, "serve", "--listen", "127.0.0.1:0", "--log-format", "json"], { env, stdout: "pipe", stderr: "pipe" });
    expect(down.exitCode).toBe(1);
    const [entry] = jsonLines(down.stderr.toString());
    expect(entry.level).toBe("error");
    expect(entry.msg).toContain("/nonexistent/docker.sock");
    const bad = Bun.spawnSync([BIN, "serve", "--log-format", "xml"], { env, stdout: "pipe", stderr: "pipe" });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr.toString()).toBe("error: --log-format: expected text or json (got 'xml')\n");
  });
});
