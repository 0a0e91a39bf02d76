/** Pure parts of serve's reconcile loop: the router plan, the record marks, the retry pauses, event parsing. */
import { describe, expect, test } from "bun:test";
import { retryPause } from "../../../src/server/reconcile/heal";
import { refFromEvent } from "../../../src/server/reconcile/index";
import { markDown, markRemoved, markUp, stillWanted, wasServing } from "../../../src/server/reconcile/records";
import { planRouteChanges, portOf } from "../../../src/server/reconcile/routes";
import type { DeployRecord } from "../../../src/api/v1";
import { DeployLog } from "../../../src/server/records";

describe("router plan", () => {
  test("re-adds wanted running instances the router lost, removes upstreams with no running instance", () => {
    const plan = planRouteChanges(
      ["127.0.0.1:1001", "127.0.0.1:1009"],
      [
        { id: "a", dial: "127.0.0.1:1001", wanted: true },
        { id: "b", dial: "127.0.0.1:1002", wanted: true },
        { id: "c", dial: "127.0.0.1:1003", wanted: false },
      ],
    );
    expect(plan.add.map((c) => c.id)).toEqual(["b"]);
    expect(plan.remove).toEqual(["127.0.0.1:1009"]);
  });
  test("a running instance that is not wanted (retiring, healing) is neither added nor removed", () => {
    expect(planRouteChanges(["127.0.0.1:1003"], [{ id: "c", dial: "127.0.0.1:1003", wanted: false }])).toEqual({ add: [], remove: [] });
  });
  test("dials compare by port (0.0.0.0 vs 127.0.0.1 spellings of one instance)", () => {
    expect(portOf("[::1]:3000")).toBe("3000");
    expect(planRouteChanges(["localhost:1001"], [{ id: "a", dial: "127.0.0.1:1001", wanted: true }])).toEqual({ add: [], remove: [] });
  });
  test("a Caddy that lost everything gets every wanted instance back", () => {
    const plan = planRouteChanges([], [{ id: "a", dial: "h:1", wanted: true }, { id: "b", dial: "h:2", wanted: true }]);
    expect(plan.add.length).toBe(2);
  });
});

function record(state: DeployRecord["state"], entry: "ready" | "booting"): DeployLog {
  const log = new DeployLog();
  log.add({
    service: "web", version: "v1", timestamp: "t1", state, instance_count: 1, destroy_previous: false, previous: null, rollback_of: null,
    started_at: "2026-01-01T00:00:00Z", finished_at: null, reason: null, log_tail: [],
    instances: [{ instance: "1", container: "web-v1-t1-1", state: entry, replaces: null, retired: false, reason: null }],
  });
  return log;
}
const ref = { service: "web", version: "v1", timestamp: "t1", instance: 1, name: "web-v1-t1-1" };

describe("records", () => {
  test("only a ready instance of a live or rolling deploy is healed", () => {
    expect(wasServing(record("live", "ready"), ref)).toBe(true);
    expect(wasServing(record("rolling", "ready"), ref)).toBe(true);
    expect(wasServing(record("rolling", "booting"), ref)).toBe(false);
    expect(wasServing(record("destroyed", "ready"), ref)).toBe(false);
    expect(wasServing(record("live", "ready"), { ...ref, name: "other" })).toBe(false);
  });
  test("down, then up: the entry says what happened; removed ends the wish", () => {
    const log = record("live", "ready");
    markDown(log, ref, "Instance 1 exited with code 137");
    const e = log.list("web")[0]!.instances[0]!;
    expect(e.state).toBe("booting");
    expect(e.reason).toContain("exited with code 137; restarting");
    expect(stillWanted(log, ref)).toBe(true);
    markUp(log, ref, "Instance 1 exited with code 137", 2, new Date("2026-01-01T00:00:05Z"));
    expect(e.state).toBe("ready");
    expect(e.reason).toBe("Instance 1 exited with code 137; restarted (2 attempts), ready and routed again at 2026-01-01T00:00:05.000Z");
    markRemoved(log, ref, "gone");
    expect(stillWanted(log, ref)).toBe(false);
  });
});

test("retry pauses double from 1 s up to 30 s", () => {
  expect([1, 2, 3, 5, 6, 20].map(retryPause)).toEqual([1000, 2000, 4000, 16_000, 30_000, 30_000]);
});

test("an event's instance identity comes from its labels; anything else is ignored", () => {
  const ev = { Type: "container", Action: "die", Actor: { ID: "abc", Attributes: { name: "web-v1-t1-2", exitCode: "137", "deployster.service": "web", "deployster.version": "v1", "deployster.timestamp": "t1", "deployster.instance": "2" } } };
  expect(refFromEvent(ev)).toEqual({ id: "abc", service: "web", version: "v1", timestamp: "t1", instance: 2, name: "web-v1-t1-2" });
  expect(refFromEvent({ Actor: { ID: "x", Attributes: { name: "n" } } })).toBeUndefined();
  expect(refFromEvent({ Actor: { ID: "x", Attributes: { ...ev.Actor.Attributes, "deployster.instance": "two" } } })).toBeUndefined();
});

test("--instance-host: an IP address, kept as given; anything else is a one-line error", async () => {
  const { resolveServeConfig } = await import("../../../src/server/config");
  const env = { DEPLOYSTER_PASSWORD: "x" };
  expect(resolveServeConfig({ instanceHost: "10.214.0.11" }, env).instanceHost).toBe("10.214.0.11");
  expect(resolveServeConfig({}, env).instanceHost).toBeUndefined();
  expect(() => resolveServeConfig({ instanceHost: "lab-node" }, env)).toThrow('--instance-host: "lab-node" is not an IP address');
});
