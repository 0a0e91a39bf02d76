import { expect, test } from "bun:test";
import { type FollowPoll, followDeploy } from "../../../src/client/follow";
import type { DeployState } from "../../../src/api/v1";
import { countReady, describeDeploy, failureLogs, readDeployList, readDeployRecord, readDeployResponse, summarizeProgress } from "../../../src/client/deploys";

function clock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

function script(answers: FollowPoll[]) {
  let i = 0;
  return async () => answers[Math.min(i++, answers.length - 1)];
}

const rec = (state: DeployState, ready = 0, total = 2) =>
  ({ kind: "record", view: readDeployRecord({ version: "v2", timestamp: "2015.01.02-03.04.05", state, log_tail: [], instances: Array.from({ length: total }, (_, k) => ({ instance: String(k + 1), state: k < ready ? "ready" : "booting" })) })! }) as FollowPoll;

test("follows until live, reporting progress", async () => {
  const c = clock();
  const seen: string[] = [];
  const r = await followDeploy({
    poll: script([rec("rolling"), rec("rolling", 1), rec("live", 2)]),
    onProgress: (v) => seen.push(summarizeProgress(v)),
    timeoutMs: 60_000, ...c,
  });
  expect(r.outcome).toBe("terminal");
  expect(r.outcome === "terminal" && r.view.state).toBe("live");
  expect(seen).toEqual(["rolling, 0/2 instances ready", "rolling, 1/2 instances ready", "live, 2/2 instances ready"]);
  expect(c.now()).toBe(2000);
});

test("failed and rolled_back are terminal", async () => {
  for (const state of ["failed", "rolled_back", "destroyed"] as const) {
    const r = await followDeploy({ poll: script([rec("rolling"), rec(state)]), timeoutMs: 60_000, ...clock() });
    expect(r.outcome === "terminal" && r.view.state).toBe(state);
  }
});

test("times out with the last record", async () => {
  const r = await followDeploy({ poll: script([rec("rolling", 1)]), timeoutMs: 5_000, ...clock() });
  expect(r.outcome).toBe("timeout");
  expect(r.outcome === "timeout" && r.view && countReady(r.view)).toEqual({ ready: 1, total: 2 });
});

test("a 404 is tolerated for a grace period (the deploy may show up a moment later)", async () => {
  const ok = await followDeploy({ poll: script([{ kind: "not-found" }, { kind: "not-found" }, rec("live", 2)]), timeoutMs: 60_000, ...clock() });
  expect(ok.outcome).toBe("terminal");
  const gone = await followDeploy({ poll: script([{ kind: "not-found" }]), timeoutMs: 600_000, notFoundGraceMs: 10_000, ...clock() });
  expect(gone.outcome).toBe("not-found");
});

test("an unreachable server is tolerated for a while, then reported", async () => {
  const ok = await followDeploy({ poll: script([{ kind: "unreachable", message: "x" }, rec("live", 2)]), timeoutMs: 60_000, ...clock() });
  expect(ok.outcome).toBe("terminal");
  const r = await followDeploy({ poll: script([rec("rolling"), { kind: "unreachable", message: "refused" }]), timeoutMs: 600_000, unreachableGraceMs: 5_000, ...clock() });
  expect(r).toEqual({ outcome: "unreachable", message: "refused" });
});

test("readDeployResponse reads the server's record by its own field names, and nothing else", () => {
  const record = {
    service: "app", version: "v9", timestamp: "2015.01.02-03.04.05", state: "failed", reason: "instance 2 never became ready",
    instance_count: 2, destroy_previous: true, previous: null, rollback_of: null, started_at: "2015-01-02T03:04:05Z", finished_at: null,
    log_tail: ["booting", "crash!"],
    instances: [
      { instance: "1", container: "app-v9-2015.01.02-03.04.05-1", state: "ready", replaces: null, retired: false, reason: null },
      { instance: "2", container: "app-v9-2015.01.02-03.04.05-2", state: "failed", replaces: null, retired: false, reason: "exited (3)" },
    ],
  };
  const v = readDeployResponse({ deploy: record })!;
  expect(v).toEqual({
    service: "app", version: "v9", timestamp: "2015.01.02-03.04.05", state: "failed", reason: "instance 2 never became ready",
    instances: [
      { instance: "1", state: "ready", container: "app-v9-2015.01.02-03.04.05-1" },
      { instance: "2", state: "failed", container: "app-v9-2015.01.02-03.04.05-2", reason: "exited (3)" },
    ],
    log_tail: ["booting", "crash!"],
  });
  expect(describeDeploy(v)).toBe("app v9 (2015.01.02-03.04.05)");
  expect(countReady(v)).toEqual({ ready: 1, total: 2 });
  expect(failureLogs(v)).toEqual([{ instance: "2", lines: ["booting", "crash!"] }]);
  const twoFailed = readDeployRecord({ ...record, instances: record.instances.map((i) => ({ ...i, state: "failed" })) })!;
  expect(failureLogs(twoFailed)).toEqual([{ lines: ["booting", "crash!"] }]);
  // Keys the server never sends are not read: no `status` for state, no `logs`, no bare record for a {deploy} answer.
  expect(readDeployRecord({ version: "v1", timestamp: "2015.01.02-03.04.05", status: "live", instances: [] })).toBeUndefined();
  expect(readDeployResponse(record)).toBeUndefined();
  expect(failureLogs(readDeployRecord({ ...record, log_tail: [], logs: ["x"] })!)).toEqual([]);
  // A state or an instance progress outside the wire's unions is no record.
  expect(readDeployRecord({ ...record, state: "exploded" })).toBeUndefined();
  expect(readDeployRecord({ ...record, instances: [{ instance: 1, state: "ready" }] })).toBeUndefined();
  expect(readDeployRecord({ nothing: true })).toBeUndefined();
  expect(readDeployList({ deploys: [{ ...record, version: "v1", state: "live" }, { junk: 1 }] })!.map((d) => d.version)).toEqual(["v1"]);
  expect(readDeployList({ deploys: [] })).toEqual([]);
  expect(readDeployList([])).toBeUndefined();
  expect(readDeployList({})).toBeUndefined();
});
