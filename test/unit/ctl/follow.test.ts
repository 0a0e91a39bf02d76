import { expect, test } from "bun:test";
import { type FollowPoll, followDeploy } from "../../../src/client/follow";
import { countReady, describeDeploy, failureLogs, normalizeDeploy, normalizeDeployList, summarizeProgress } from "../../../src/client/deploys";

function clock() {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

function script(answers: FollowPoll[]) {
  let i = 0;
  return async () => answers[Math.min(i++, answers.length - 1)];
}

const rec = (state: string, ready = 0, total = 2) =>
  ({ kind: "record", view: normalizeDeploy({ version: "v2", state, instances: Array.from({ length: total }, (_, k) => ({ instance: k + 1, state: k < ready ? "ready" : "starting" })) })! }) as FollowPoll;

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
  for (const state of ["failed", "rolled_back", "destroyed"]) {
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

test("normalizeDeploy reads wrapped and bare records, logs as lists or text", () => {
  const v = normalizeDeploy({
    deploy: {
      service: "app", version: "v9", timestamp: "2015.01.02-03.04.05", state: "failed", reason: "instance 2 never became ready",
      instances: [
        { instance: "1", state: "ready", host_port: 32768 },
        { instance: 2, state: "failed", logs: ["booting", "crash!"] },
      ],
    },
  })!;
  expect(v).toEqual({
    service: "app", version: "v9", timestamp: "2015.01.02-03.04.05", state: "failed", reason: "instance 2 never became ready",
    instances: [
      { instance: "1", state: "ready", ready: true, failed: false, hostPort: "32768", logs: [] },
      { instance: "2", state: "failed", ready: false, failed: true, logs: ["booting", "crash!"] },
    ],
    logs: [],
  });
  expect(describeDeploy(v)).toBe("app v9 (2015.01.02-03.04.05)");
  expect(failureLogs(v)).toEqual([{ instance: "2", lines: ["booting", "crash!"] }]);
  const bare = normalizeDeploy({ version: "v1", state: "failed", logs: "a\nb\n", instances: [{ ready: true }] })!;
  expect(bare.instances[0]).toMatchObject({ instance: "1", ready: true });
  expect(failureLogs(bare)).toEqual([{ lines: ["a", "b"] }]);
  const served = normalizeDeploy({ version: "v3", state: "failed", log_tail: ["booting", "bye"], instances: [{ instance: "1", state: "ready" }, { instance: "2", state: "failed" }] })!;
  expect(failureLogs(served)).toEqual([{ instance: "2", lines: ["booting", "bye"] }]);
  expect(normalizeDeploy({ nothing: true })).toBeUndefined();
  expect(normalizeDeployList({ deploys: [{ version: "v1", state: "live" }, { junk: 1 }] })!.map((d) => d.version)).toEqual(["v1"]);
  expect(normalizeDeployList([])).toEqual([]);
  expect(normalizeDeployList({})).toBeUndefined();
});
