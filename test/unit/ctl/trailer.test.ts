import { describe, expect, test } from "bun:test";
import { TaskTrailerScanner, parseTaskTrailer } from "../../../src/client/trailer";
import { exitCodeOfTask as toProcessExitCode } from "../../../src/exit-codes";

const enc = new TextEncoder();

describe("parseTaskTrailer", () => {
  test("success: `\\nExited (0) \\n` (trailing space)", () => {
    expect(parseTaskTrailer("hello\n\nExited (0) \n")).toEqual({ exitCode: 0, message: "" });
  });
  test("failure with a message", () => {
    expect(parseTaskTrailer("out\nExited (127) Something went wrong\n")).toEqual({ exitCode: 127, message: "Something went wrong" });
  });
  test("timeout", () => {
    expect(parseTaskTrailer("\nExited (124) The task timed out after 10m0s. Forcefully removing container.\n")).toEqual({
      exitCode: 124, message: "The task timed out after 10m0s. Forcefully removing container.",
    });
  });
  test("no output at all", () => {
    expect(parseTaskTrailer("\nExited (3) \n")).toEqual({ exitCode: 3, message: "" });
  });
  test("only the final line counts", () => {
    expect(parseTaskTrailer("\nExited (0) \nmore output\n")).toBeUndefined();
    expect(parseTaskTrailer("log: Exited (0) \n")).toBeUndefined();
    expect(parseTaskTrailer("\nExited (0) \nthen\n\nExited (5) \n")).toEqual({ exitCode: 5, message: "" });
  });
  test("cut streams have no trailer", () => {
    expect(parseTaskTrailer("")).toBeUndefined();
    expect(parseTaskTrailer("partial output")).toBeUndefined();
    expect(parseTaskTrailer("\nExited (0) ")).toBeUndefined();
    expect(parseTaskTrailer("\nExited (1")).toBeUndefined();
  });
  test("negative codes parse", () => {
    expect(parseTaskTrailer("\nExited (-1) engine error\n")).toEqual({ exitCode: -1, message: "engine error" });
  });
});

describe("TaskTrailerScanner", () => {
  const body = "line 1\nline 2 é€\n\nExited (124) The task timed out after 1s. Forcefully removing container.\n";

  test("finds the trailer however the chunks split it, byte by byte included", () => {
    const bytes = enc.encode(body);
    for (const size of [1, 2, 3, 5, 7, 16, bytes.length]) {
      const s = new TaskTrailerScanner();
      for (let i = 0; i < bytes.length; i += size) s.push(bytes.subarray(i, i + size));
      expect(s.finish()).toEqual({ exitCode: 124, message: "The task timed out after 1s. Forcefully removing container." });
    }
  });

  test("split exactly inside `Exited (`", () => {
    const s = new TaskTrailerScanner();
    s.push(enc.encode("out\nExi"));
    s.push(enc.encode("ted ("));
    s.push(enc.encode("3) \n"));
    expect(s.finish()).toEqual({ exitCode: 3, message: "" });
  });

  test("keeps only a tail of long output", () => {
    const s = new TaskTrailerScanner(1024);
    const chunk = enc.encode("x".repeat(1000) + "\n");
    for (let i = 0; i < 1000; i++) s.push(chunk);
    s.push(enc.encode("\nExited (0) \n"));
    expect(s.finish()).toEqual({ exitCode: 0, message: "" });
    expect((s as unknown as { tail: string }).tail.length).toBeLessThan(4096);
  });

  test("a stream cut before the trailer", () => {
    const s = new TaskTrailerScanner();
    s.push(enc.encode("working...\n"));
    expect(s.finish()).toBeUndefined();
  });
});

test("toProcessExitCode", () => {
  expect(toProcessExitCode(0)).toBe(0);
  expect(toProcessExitCode(3)).toBe(3);
  expect(toProcessExitCode(124)).toBe(124);
  expect(toProcessExitCode(255)).toBe(255);
  expect(toProcessExitCode(256)).toBe(1);
  expect(toProcessExitCode(-1)).toBe(1);
});
