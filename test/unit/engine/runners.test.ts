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
import { resolveCommand } from "../../../src/resource-types/runners/pool";

describe("the command a runner runs is the one `docker run` would run", () => {
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
