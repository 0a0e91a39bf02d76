/** The status page's pure state updates (the client's model). */
import { describe, expect, test } from "bun:test";
import { applyDeploy, applySnapshot, applyTask, applyUnits, formatAge, groupVersions, initialState, instanceProgress } from "../../../../src/server/ui/client/model";

const unit = (over: Record<string, unknown>): any => ({ version: "v1", deploy_timestamp: "t1", container_name: "c1", routed: true, ...over });
const rec = (over: Record<string, unknown>): any => ({ instance: "1", container: "c1", state: "ready", replaces: null, retired: false, reason: null, ...over });
const deploy = (version: string, started: string, state = "live"): any => ({ service: "a", version, timestamp: started, started_at: started, state, instances: [] });

describe("page model", () => {
  test("instance progress: booting, ready until the router has it, routed, retired; pending and failed as they are", () => {
    expect(instanceProgress(rec({ state: "booting" }), [])).toBe("booting");
    expect(instanceProgress(rec({}), [])).toBe("ready");
    expect(instanceProgress(rec({}), [unit({ routed: false })])).toBe("ready");
    expect(instanceProgress(rec({}), [unit({})])).toBe("routed");
    expect(instanceProgress(rec({}), [unit({ routed: null })])).toBe("routed");
    expect(instanceProgress(rec({ retired: true }), [])).toBe("retired");
    expect(instanceProgress(rec({ state: "failed" }), [])).toBe("failed");
    expect(instanceProgress(rec({ state: "pending" }), [])).toBe("pending");
  });

  test("deploy events replace the same deploy and keep newest first; units and tasks replace theirs", () => {
    let s = applySnapshot(initialState, [{ service: "a", units: [], deploys: [deploy("v1", "2026-01-01")] }], []);
    s = applyDeploy(s, deploy("v2", "2026-01-02", "rolling"));
    s = applyDeploy(s, deploy("v2", "2026-01-02", "live"));
    expect(s.services.a!.deploys.map((d) => `${d.version}:${d.state}`)).toEqual(["v2:live", "v1:live"]);
    s = applyDeploy(s, { ...deploy("v1", "2026-01-03"), service: "b" });
    expect(Object.keys(s.services).sort()).toEqual(["a", "b"]);
    s = applyUnits(s, "a", [unit({}), unit({ version: "v2", deploy_timestamp: "t2" })]);
    expect(groupVersions(s.services.a!.units).map((g) => g.version)).toEqual(["v2", "v1"]);
    const t = { container: "x", started_at: "2026-01-01", state: "running", exit_code: null } as any;
    s = applyTask(applyTask(s, t), { ...t, state: "exited", exit_code: 3 });
    expect(s.tasks.map((x) => x.exit_code)).toEqual([3]);
  });

  test("ages", () => {
    const now = Date.parse("2026-01-01T01:00:00Z");
    expect(formatAge("2026-01-01T00:59:30Z", now)).toBe("30s");
    expect(formatAge("2026-01-01T00:00:00Z", now)).toBe("1h 0m");
    expect(formatAge(null, now)).toBe("—");
  });
});
