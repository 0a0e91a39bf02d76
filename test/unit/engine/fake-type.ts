import type { ActionSpec, InitResult, InvocationBase, ResourceType, StateResult } from "../../../src/engine/resource-type";

/**
 * A fake resource type over an in-memory world (unit tests only): a resource is VALID when
 * world[name] equals config.value. config.fail = "state" | "action" makes that step fail,
 * config.stuck keeps it STALE after its action, config.sleep delays each state query (ms).
 */
export function createFakeWorld() {
  const world = new Map<string, unknown>();
  const calls: { phase: string; req: Record<string, unknown>; action?: string }[] = [];
  let running = 0;
  let maxRunning = 0;
  const type = (name: string, init: InitResult = { state_action: { args: ["state"] } }): ResourceType => ({
    type: name,
    async init(req: InvocationBase) {
      calls.push({ phase: "init", req: { ...req } });
      return init;
    },
    async state(req, _init, _mounts, io) {
      calls.push({ phase: "state", req: structuredClone(req) as unknown as Record<string, unknown> });
      const c = req.config as { value?: unknown; fail?: string; stuck?: boolean; sleep?: number };
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        if (c.sleep) await new Promise((r) => setTimeout(r, c.sleep));
        io.output("stderr", `checking ${req.name}`);
        if (c.fail === "state") throw new Error(`state of '${req.name}' terminated with exit code 5`);
        const current = world.get(req.name);
        if (current === c.value && !c.stuck) return { status: "VALID", state: { value: current } } satisfies StateResult;
        return {
          status: "STALE",
          ...(current === undefined ? {} : { staleState: { value: current } }),
          actions: [{ name: "set", description: `Set ${req.name}` }],
        } satisfies StateResult;
      } finally {
        running--;
      }
    },
    async action(req, action: ActionSpec, _init, _mounts, io) {
      calls.push({ phase: "action", req: structuredClone(req) as unknown as Record<string, unknown>, action: action.name });
      const c = req.config as { value?: unknown; fail?: string };
      io.output("stdout", `setting ${req.name}`);
      if (c.fail === "action") throw new Error(`action '${action.name}' of '${req.name}' terminated with exit code 3`);
      world.set(req.name, c.value);
    },
  });
  return {
    world,
    calls,
    type,
    get maxRunning() {
      return maxRunning;
    },
  };
}
