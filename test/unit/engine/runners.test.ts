import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildContext } from "../../../src/context/index";
import { createPlan } from "../../../src/engine/plan";
import { loadManifests } from "../../../src/manifest/index";
import type { ResourceType } from "../../../src/engine/resource-type";
import { Session } from "../../../src/engine/session";
import { createMemoryReporter } from "../../../src/engine/events";
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

describe("invocations announce themselves before they wait for a parallelism slot", () => {
  test("with one slot, every state's prepareInvocation runs before the first state ends", async () => {
    const root = mkdtempSync(join(tmpdir(), "deployster-runners-"));
    try {
      writeFileSync(join(root, "m.yaml"), "resources:\n  a1: {type: ta}\n  a2: {type: ta}\n  b1: {type: tb}\n");
      const context = await buildContext({ env: { CONF_DIR: join(root, "conf"), HOME: root }, cwd: root, version: "1.2.3" });
      const manifest = await loadManifests([join(root, "m.yaml")], context);
      const seen: string[] = [];
      const typeOf = (type: string): ResourceType => ({
        type,
        init: async () => ({ state_action: { args: ["state"] } }),
        prepareInvocation: (_init, mounts) => void seen.push(`prepare ${type} [${mounts.join(",")}]`),
        state: async (req) => {
          seen.push(`state ${req.name}`);
          await Bun.sleep(20);
          seen.push(`end ${req.name}`);
          return { status: "VALID", state: {} };
        },
        action: async () => {},
      });
      const session = new Session(context, { reporter: createMemoryReporter(), parallelism: 1, types: { resolve: typeOf } });
      await createPlan(session, manifest);
      await session.close();
      const firstEnd = seen.findIndex((s) => s.startsWith("end "));
      expect(seen.slice(0, firstEnd).filter((s) => s.startsWith("prepare ")).sort()).toEqual(["prepare ta []", "prepare ta []", "prepare tb []"]);
      expect(seen.filter((s) => s.startsWith("end "))).toHaveLength(3);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
