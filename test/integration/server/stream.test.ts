/**
 * A streamed task keeps no copy of its output and honours back-pressure: while a client
 * reads a 256 MiB task slowly, serve's resident memory stays far below the output's size
 * (the task is slowed down instead); read quickly, every byte arrives, then the trailer.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { startServe, TestScope, type Serve } from "./harness";

const scope = new TestScope("stream");
const SVC = "srvstream";
const MIB = 1024 * 1024;
const OUTPUT_MIB = 256;
let s: Serve;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) / 1024;
}

beforeAll(async () => {
  await scope.tag(SVC, ["v1"]);
  s = await startServe({ scope });
});

afterAll(async () => {
  expect(await s?.stop()).toBe(0);
  expect(await scope.cleanup()).toEqual([]);
});

test(`a ${OUTPUT_MIB} MiB task read slowly: serve's memory stays flat; read fast: every byte and the trailer arrive`, async () => {
  // Warm up (first task, first stream) so the baseline includes what any task costs.
  expect(await (await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "echo warm" } })).text()).toBe("warm\n\nExited (0) \n");
  const before = rssMiB(s.proc.pid);
  const res = await s.call("POST", `/v1/services/${SVC}/tasks`, {
    task: { version: "v1", command: `dd if=/dev/zero bs=${MIB} count=${OUTPUT_MIB} 2>/dev/null; echo; echo end` },
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  let bytes = 0;
  let tail = "";
  const take = (chunk: Uint8Array) => {
    bytes += chunk.byteLength;
    tail = (tail + Buffer.from(chunk.subarray(Math.max(0, chunk.byteLength - 64))).toString("latin1")).slice(-64);
  };
  // Slow phase: one small read every 100 ms for 4 s; the task could have produced all of
  // its output many times over meanwhile.
  let peak = 0;
  for (let i = 0; i < 40; i++) {
    const r = await reader.read();
    if (r.done) break;
    take(r.value);
    await Bun.sleep(100);
    peak = Math.max(peak, rssMiB(s.proc.pid));
  }
  const slowBytes = bytes;
  console.log(`serve RSS before ${before.toFixed(0)} MiB, peak while the client was slow ${peak.toFixed(0)} MiB; ${(slowBytes / MIB).toFixed(1)} MiB read slowly`);
  expect(slowBytes).toBeLessThan(OUTPUT_MIB * MIB);
  expect(peak - before).toBeLessThan(100);
  // Fast phase: the rest, all of it.
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    take(r.value);
  }
  const trailer = "\nend\n\nExited (0) \n";
  expect(tail.endsWith(trailer)).toBe(true);
  expect(bytes).toBe(OUTPUT_MIB * MIB + trailer.length);
  console.log(`serve RSS after the fast read ${rssMiB(s.proc.pid).toFixed(0)} MiB`);
}, 120_000);
