import { describe, expect, test } from "bun:test";
import { buildExecCreateBody } from "../../../src/docker/exec";
import { buildIdleProgram } from "../../../src/resource-types/runners/idle-program";
import { resolveCommand } from "../../../src/resource-types/runners/pool";

describe("the command a runner execs is the one `docker run` would run", () => {
  const image = { entrypoint: ["/bin/sh", "/rt/type.sh"], cmd: ["default"] };
  const cases: [string, string | undefined, string[] | undefined, string[]][] = [
    ["image defaults", undefined, undefined, ["/bin/sh", "/rt/type.sh", "default"]],
    ["empty args are no args", undefined, [], ["/bin/sh", "/rt/type.sh", "default"]],
    ["args replace the image's cmd", undefined, ["state"], ["/bin/sh", "/rt/type.sh", "state"]],
    ["an entrypoint drops the image's cmd", "/bin/other", undefined, ["/bin/other"]],
    ["entrypoint and args", "/bin/other", ["a", "b"], ["/bin/other", "a", "b"]],
  ];
  for (const [what, entrypoint, args, want] of cases) {
    test(what, () => expect(resolveCommand(image, entrypoint, args)).toEqual(want));
  }
  test("an image with neither entrypoint nor cmd gives nothing to exec (fresh container instead)", () => {
    expect(resolveCommand({ entrypoint: [], cmd: [] })).toEqual([]);
  });
});

describe("the idle program", () => {
  const elf = buildIdleProgram();
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  test("is a static x86-64 ELF executable whose one segment maps the whole file", () => {
    expect([...elf.subarray(0, 5)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2]);
    expect(v.getUint16(16, true)).toBe(2); // ET_EXEC
    expect(v.getUint16(18, true)).toBe(0x3e); // x86-64
    expect(v.getUint16(56, true)).toBe(1); // one program header
    expect(v.getUint32(64, true)).toBe(1); // PT_LOAD
    expect(Number(v.getBigUint64(96, true))).toBe(elf.length);
    expect(Number(v.getBigUint64(24, true))).toBe(0x400000 + 120);
    expect(elf.length).toBeLessThan(256);
  });
});

describe("exec create body", () => {
  test("stdin attached only with a request; env as KEY=VALUE; no TTY", () => {
    expect(buildExecCreateBody({ cmd: ["a", "b"], env: { K: "v" }, workdir: "/w", stdin: "{}" })).toEqual({
      Cmd: ["a", "b"],
      Env: ["K=v"],
      WorkingDir: "/w",
      User: undefined,
      Tty: false,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    expect(buildExecCreateBody({ cmd: ["a"] }).AttachStdin).toBe(false);
  });
});
