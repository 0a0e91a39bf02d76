import { describe, expect, test } from "bun:test";
import { ContainerTracker } from "../../../src/docker/tracking";
import { ExitError, UserError } from "../../../src/errors";
import { exitCodeOfError, exitCodeOfPlan, exitCodeOfSignal, exitCodeOfTask } from "../../../src/exit-codes";
import { Shutdown } from "../../../src/shutdown";
import { ArtefactClock } from "../../../src/resource-types/artefacts";

describe("Shutdown: one abort signal, then the clean-up hooks", () => {
  test("begin aborts the signal before any hook runs, and answers the first code a hook returned", async () => {
    const shutdown = new Shutdown();
    const seen: boolean[] = [];
    shutdown.onShutdown(() => void seen.push(shutdown.signal.aborted));
    shutdown.onShutdown(async () => {
      seen.push(shutdown.signal.aborted);
      return 130;
    });
    expect(shutdown.signal.aborted).toBe(false);
    expect(shutdown.finished).toBeUndefined();
    expect(await shutdown.begin("SIGTERM")).toBe(130);
    expect(seen).toEqual([true, true]);
  });

  test("without a hook's code, the signal's own; a failing hook does not stop the others; begin runs once", async () => {
    const shutdown = new Shutdown();
    let runs = 0;
    shutdown.onShutdown(() => {
      throw new Error("broken hook");
    });
    shutdown.onShutdown(() => void runs++);
    const first = shutdown.begin("SIGTERM");
    expect(shutdown.begin("SIGINT")).toBe(first);
    expect(await first).toBe(143);
    expect(runs).toBe(1);
    expect(await new Shutdown().begin("SIGINT")).toBe(130);
  });

  test("an unregistered hook is not run", async () => {
    const shutdown = new Shutdown();
    let ran = false;
    const unregister = shutdown.onShutdown(() => {
      ran = true;
      return undefined;
    });
    unregister();
    await shutdown.begin("SIGINT");
    expect(ran).toBe(false);
  });

  test("two Shutdowns share nothing (no module state)", async () => {
    const a = new Shutdown();
    const b = new Shutdown();
    let ranB = false;
    b.onShutdown(() => {
      ranB = true;
      return undefined;
    });
    await a.begin("SIGINT");
    expect(b.signal.aborted).toBe(false);
    expect(ranB).toBe(false);
  });
});

describe("exit codes are decided in one place", () => {
  test("signals, errors, plans and tasks", () => {
    expect([exitCodeOfSignal("SIGINT"), exitCodeOfSignal("SIGTERM"), exitCodeOfSignal("SIGPIPE")]).toEqual([130, 143, 141]);
    expect(exitCodeOfError(new UserError("x", 3))).toBe(3);
    expect(exitCodeOfError(new ExitError(7))).toBe(7);
    expect(exitCodeOfError(new Error("bug"))).toBe(1);
    expect(exitCodeOfPlan({ failed: 0, skipped: 0, changes: 2 }, false)).toBe(0);
    expect(exitCodeOfPlan({ failed: 0, skipped: 0, changes: 2 }, true)).toBe(2);
    expect(exitCodeOfPlan({ failed: 0, skipped: 1, changes: 2 }, true)).toBe(1);
    expect([exitCodeOfTask(0), exitCodeOfTask(42), exitCodeOfTask(256), exitCodeOfTask(-1)]).toEqual([0, 42, 1, 1]);
  });
});

describe("run state lives in per-run objects", () => {
  test("a ContainerTracker removes what is still tracked, once, with each container's own removal", async () => {
    const tracker = new ContainerTracker();
    const removed: string[] = [];
    const d = {} as never;
    tracker.track(d, "a", async () => void removed.push("a"));
    tracker.track(d, "b", async () => void removed.push("b"));
    tracker.track(d, "c", async () => {
      throw new Error("gone already");
    });
    tracker.untrack("b");
    await tracker.removeAll();
    await tracker.removeAll();
    expect(removed).toEqual(["a"]);
  });

  test("artefact timestamps are unique per clock, and clocks are independent", () => {
    const now = new Date("2025-01-01T12:00:00.123Z");
    const clock = new ArtefactClock();
    expect([clock.timestamp(now), clock.timestamp(now), clock.timestamp(now)]).toEqual(["20250101T120000123Z", "20250101T120000123Z-1", "20250101T120000123Z-2"]);
    expect(new ArtefactClock().timestamp(now)).toBe("20250101T120000123Z");
  });
});
