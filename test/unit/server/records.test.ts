import { describe, expect, test } from "bun:test";
import { healthOf, isFailed, parseInstance } from "../../../src/server/instance-model";
import { parseScopeLabels } from "../../../src/server/labels";
import { instanceName } from "../../../src/server/names";
import type { DeployRecord } from "../../../src/api/v1";
import { DeployLog } from "../../../src/server/records";

function record(version: string, state: DeployRecord["state"], startedAt: string, extra: Partial<DeployRecord> = {}): DeployRecord {
  return {
    service: "app",
    version,
    timestamp: "2020.01.01-00.00.00",
    state,
    instance_count: 1,
    destroy_previous: true,
    previous: null,
    rollback_of: null,
    started_at: startedAt,
    finished_at: null,
    reason: null,
    log_tail: [],
    instances: [],
    ...extra,
  };
}

function container(labels: Record<string, string>, extra: Record<string, unknown> = {}) {
  return { Id: "id1", Names: ["/x"], State: "running", Status: "Up 2 seconds", Created: 1, Ports: [], Labels: labels, ...extra };
}

describe("naming", () => {
  test("section 4 container names", () => {
    expect(instanceName("carousel", "abc123", "2006.01.02-15.04.05", 1)).toBe("carousel-abc123-2006.01.02-15.04.05-1");
  });
  test("parses an instance from the container list, ignores foreign containers", () => {
    const labels = {
      "deployster.service": "app",
      "deployster.version": "v1",
      "deployster.timestamp": "2020.01.01-00.00.00",
      "deployster.instance": "2",
      "deployster.deploy.count": "3",
    };
    const i = parseInstance(container(labels, { Ports: [{ IP: "127.0.0.1", PrivatePort: 3000, PublicPort: 32768, Type: "tcp" }] }))!;
    expect(i).toMatchObject({ service: "app", version: "v1", instance: 2, count: 3, hostPort: 32768, hostIp: "127.0.0.1", name: "x" });
    expect(parseInstance(container({ "deployster.service": "app" }))).toBeUndefined();
    expect(parseInstance(container({ ...labels, "deployster.instance": "0" }))).toBeUndefined();
  });
  test("health and failure", () => {
    expect(healthOf("Up 3 seconds (healthy)")).toBe("healthy");
    expect(healthOf("Up 3 seconds (health: starting)")).toBe("starting");
    expect(healthOf("Up 3 seconds (unhealthy)")).toBe("unhealthy");
    expect(healthOf("Up 3 seconds")).toBeUndefined();
    expect(isFailed({ state: "exited", health: undefined })).toBe(true);
    expect(isFailed({ state: "running", health: "unhealthy" })).toBe(true);
    expect(isFailed({ state: "running", health: undefined })).toBe(false);
    expect(isFailed({ state: "created", health: undefined })).toBe(false);
  });
  test("scope labels", () => {
    expect(parseScopeLabels("a=1, b=x=y")).toEqual({ a: "1", b: "x=y" });
    expect(parseScopeLabels(undefined)).toEqual({});
    expect(() => parseScopeLabels("nope")).toThrow();
  });
});

describe("deploy log", () => {
  test("newest first; find by version and timestamp", () => {
    const log = new DeployLog();
    log.add(record("v1", "destroyed", "2021-01-01T00:00:00Z"));
    log.add(record("v2", "live", "2021-01-02T00:00:00Z", { timestamp: "2021.01.02-00.00.00" }));
    expect(log.list("app").map((r) => r.version)).toEqual(["v2", "v1"]);
    expect(log.find("app", "v2")?.state).toBe("live");
    expect(log.find("app", "v2", "2020.01.01-00.00.00")).toBeUndefined();
    expect(log.list("other")).toEqual([]);
  });
  test("settle marks live deploys destroyed or rolled back, keeps failures", () => {
    const log = new DeployLog();
    log.add(record("v1", "live", "2021-01-01T00:00:00Z"));
    log.add(record("v3", "failed", "2021-01-03T00:00:00Z"));
    log.settle("app", "v1", undefined, "rolled_back");
    log.settle("app", "v3", undefined, "destroyed");
    expect(log.find("app", "v1")?.state).toBe("rolled_back");
    expect(log.find("app", "v3")?.state).toBe("failed");
  });
  test("rebuild: deploys with containers from labels, earlier ones from the history label", () => {
    const before = new DeployLog();
    before.add(record("v1", "live", "2021-01-01T00:00:00Z", { timestamp: "2021.01.01-00.00.00" }));
    before.add(record("v0", "failed", "2020-12-31T00:00:00Z", { timestamp: "2020.12.31-00.00.00", reason: "Instance 1 exited" }));
    const history = before.historyLabel("app");
    const log = new DeployLog();
    const labels = {
      "deployster.service": "app",
      "deployster.version": "v2",
      "deployster.timestamp": "2021.01.02-00.00.00",
      "deployster.instance": "1",
      "deployster.deploy.count": "1",
      "deployster.deploy.destroy-previous": "true",
      "deployster.deploy.previous": "v1:2021.01.01-00.00.00",
      "deployster.deploy.started-at": "2021-01-02T00:00:00Z",
      "deployster.deploy.history": history,
    };
    log.rebuild("app", [parseInstance(container(labels))!]);
    const list = log.list("app");
    expect(list.map((r) => `${r.version}:${r.state}`)).toEqual(["v2:live", "v1:destroyed", "v0:failed"]);
    expect(list[0]!.previous).toEqual({ version: "v1", timestamp: "2021.01.01-00.00.00" });
    expect(list[2]!.reason).toBe("Instance 1 exited");
  });
  test("rebuild: a deploy some instance rolled back from is rolled_back", () => {
    const before = new DeployLog();
    before.add(record("v2", "live", "2021-01-02T00:00:00Z", { timestamp: "2021.01.02-00.00.00" }));
    const log = new DeployLog();
    log.rebuild("app", [
      parseInstance(
        container({
          "deployster.service": "app",
          "deployster.version": "v1",
          "deployster.timestamp": "2021.01.03-00.00.00",
          "deployster.instance": "1",
          "deployster.deploy.rollback-of": "v2:2021.01.02-00.00.00",
          "deployster.deploy.started-at": "2021-01-03T00:00:00Z",
          "deployster.deploy.history": before.historyLabel("app"),
        }),
      )!,
    ]);
    expect(log.find("app", "v2")?.state).toBe("rolled_back");
  });
});
