import { describe, expect, test } from "bun:test";
import { OutputCollector } from "../../../src/docker/collect";

describe("OutputCollector", () => {
  test("keeps a copy: a Buffer chunk reused by its sender after push leaves what was kept unchanged", () => {
    const out = new OutputCollector({}, () => {});
    const chunk = Buffer.from("hello world");
    out.push("stdout", chunk.subarray(0, 5));
    chunk.fill(0x2e);
    expect(out.finish().stdout.toString()).toBe("hello");
  });

  test("keeps at most keepBytes of a stream and counts the rest as dropped; callbacks still see every line", () => {
    const lines: string[] = [];
    const out = new OutputCollector({ keepBytes: { stderr: 4 }, onStderrLine: (l) => lines.push(l) }, () => {});
    out.push("stderr", Buffer.from("ab\ncd\nef\n"));
    expect(out.finish().stderr.toString()).toBe("ab\nc");
    expect(out.dropped).toEqual({ stdout: 0, stderr: 5 });
    expect(lines).toEqual(["ab", "cd", "ef"]);
  });

  test("stdout past the cap reports the overflow once and keeps nothing of it", () => {
    let overflows = 0;
    const out = new OutputCollector({ maxStdoutBytes: 5 }, () => overflows++);
    expect(out.push("stdout", Buffer.from("12345"))).toBe(true);
    expect(out.push("stdout", Buffer.from("6"))).toBe(false);
    expect(out.push("stdout", Buffer.from("7"))).toBe(false);
    expect([overflows, out.stdoutOverflow, out.finish().stdout.toString()]).toEqual([1, true, "12345"]);
  });
});
