/**
 * The client's default per-call timeout, against a unix socket that answers /_ping and
 * then never answers anything else (an engine that hangs).
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerClient } from "../../../src/docker/client";

const dir = mkdtempSync(join(tmpdir(), "docker-timeout-"));
const socketPath = join(dir, "hang.sock");
const server = Bun.serve({
  unix: socketPath,
  fetch: async (req) => {
    if (new URL(req.url).pathname === "/_ping") return new Response("OK", { headers: { "api-version": "1.41" } });
    await new Promise((resolve) => req.signal.addEventListener("abort", resolve));
    return new Response("late");
  },
});

afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

test("a call without its own timeout ends after defaultTimeoutMs", async () => {
  const d = new DockerClient({ kind: "unix", socketPath, target: `unix://${socketPath}` }, { defaultTimeoutMs: 200 });
  const t0 = Date.now();
  const err = await d.json("GET", "/info").catch((e: Error) => e);
  expect((err as Error).name).toBe("TimeoutError");
  expect(Date.now() - t0).toBeLessThan(5000);
});

test("timeoutMs: 0 (streams) and clients without a default wait", async () => {
  const d = new DockerClient({ kind: "unix", socketPath, target: `unix://${socketPath}` }, { defaultTimeoutMs: 100 });
  const stream = d.request("GET", "/events", { timeoutMs: 0, signal: AbortSignal.timeout(600) });
  const plain = new DockerClient({ kind: "unix", socketPath, target: `unix://${socketPath}` }).json("GET", "/info", { signal: AbortSignal.timeout(600) });
  const settledFirst = await Promise.race([stream.then(() => "stream", () => "stream"), plain.then(() => "plain", () => "plain"), Bun.sleep(400).then(() => "none")]);
  expect(settledFirst).toBe("none");
  await Promise.allSettled([stream, plain]);
});
