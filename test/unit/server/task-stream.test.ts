import { expect, test } from "bun:test";
import { createTaskStream } from "../../../src/server/task-stream";

test("write asks the producer to wait once 256 KiB are queued, and lets it go as the client reads", async () => {
  const { stream, write, close } = createTaskStream(() => {});
  const chunk = new Uint8Array(64 * 1024);
  const results = [write(chunk), write(chunk), write(chunk)];
  expect(results.every((r) => r === undefined)).toBe(true);
  const waiting = write(chunk);
  expect(waiting).toBeInstanceOf(Promise);
  let released = false;
  void waiting!.then(() => (released = true));
  await Bun.sleep(10);
  expect(released).toBe(false);
  const reader = stream.getReader();
  await reader.read();
  await Bun.sleep(10);
  expect(released).toBe(true);
  close();
  let bytes = 64 * 1024;
  for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.byteLength;
  expect(bytes).toBe(4 * 64 * 1024);
});

test("a client that goes away releases a waiting producer and is reported", async () => {
  let gone = false;
  const { stream, write } = createTaskStream(() => (gone = true));
  const waiting = write(new Uint8Array(512 * 1024));
  expect(waiting).toBeInstanceOf(Promise);
  await stream.cancel();
  await waiting;
  expect(gone).toBe(true);
  expect(write("more")).toBeUndefined();
});
