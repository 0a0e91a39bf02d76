import { describe, expect, test } from "bun:test";
import { HttpError } from "../../../src/server/http";
import type { Instance } from "../../../src/server/instance-model";
import { determineInstanceCount, planDeploy, planFromLabels, runningVersions, TOO_MANY_INSTANCES, TOO_MANY_VERSIONS } from "../../../src/server/rollout/plan";
import { buildInstanceBody } from "../../../src/server/rollout/boot";

function inst(version: string, timestamp: string, instance: number, extra: Partial<Instance> = {}): Instance {
  return {
    id: `${version}-${timestamp}-${instance}`,
    name: `carousel-${version}-${timestamp}-${instance}`,
    service: "carousel",
    version,
    timestamp,
    instance,
    state: "running",
    status: "Up",
    health: undefined,
    containerPort: 3000,
    created: 0,
    count: 1,
    destroyPrevious: false,
    startedAt: `2020-01-01T00:00:0${instance}Z`,
    ...extra,
  };
}

const T = "2006.01.02-15.04.05";
const base = { service: "carousel", imagePrefix: "mmmhm", startedAt: "2021-01-01T00:00:00.000Z", history: "[]" };
const req = (o: Partial<{ version: string; destroyPrevious: boolean; instanceCount: number; timestamp: string }> = {}) => ({
  version: "abc123",
  destroyPrevious: false,
  instanceCount: 0,
  timestamp: T,
  ...o,
});

function status(fn: () => unknown): [number, string] {
  try {
    fn();
  } catch (err) {
    return [(err as HttpError).status, (err as HttpError).message];
  }
  throw new Error("expected an HttpError");
}

// The original's DeploysResource tests, over containers instead of Fleet units.
describe("planDeploy: instance count (the original's determineNumberOfInstances)", () => {
  test("no instances running, none given → 1", () => {
    const p = planDeploy({ ...base, request: req(), instances: [] });
    expect(p.count).toBe(1);
    expect(p.image).toBe("mmmhm/carousel:abc123");
    expect(p.destroyPrevious).toBe(false);
  });
  test("one version with 2 instances, none given → 2", () => {
    expect(planDeploy({ ...base, request: req(), instances: [inst("efefeff", T, 1), inst("efefeff", T, 2)] }).count).toBe(2);
  });
  test("failed instances do not count (the original counted them)", () => {
    const instances = [inst("efefeff", T, 1), inst("efefeff", "2007.01.02-15.04.05", 1, { state: "exited" })];
    const p = planDeploy({ ...base, request: req({ timestamp: "2008.01.02-15.04.05" }), instances });
    expect(p.count).toBe(1);
    expect(runningVersions(instances)).toEqual([`efefeff:${T}`]);
  });
  test("multiple versions running, none given → 1", () => {
    expect(planDeploy({ ...base, request: req(), instances: [inst("efefeff", T, 1), inst("abbbbbb", T, 1)] }).count).toBe(1);
  });
  test("given count wins", () => {
    expect(determineInstanceCount(4, 1, 2)).toBe(4);
    expect(determineInstanceCount(0, 1, 3)).toBe(3);
    expect(determineInstanceCount(0, 2, 3)).toBe(1);
    expect(determineInstanceCount(0, 0, 0)).toBe(1);
  });
});

describe("planDeploy: destroy_previous", () => {
  test("no previous version: a plain deploy", () => {
    const p = planDeploy({ ...base, request: req({ destroyPrevious: true, instanceCount: 1 }), instances: [] });
    expect(p.destroyPrevious).toBe(false);
    expect(p.requestedDestroyPrevious).toBe(true);
    expect(p.previous).toBeUndefined();
  });
  test("too many instances running → 400 with the original message", () => {
    const [code, msg] = status(() =>
      planDeploy({ ...base, request: req({ destroyPrevious: true, instanceCount: 1 }), instances: [inst("efefeff", T, 1), inst("efefeff", T, 2)] }),
    );
    expect(code).toBe(400);
    expect(msg).toBe(TOO_MANY_INSTANCES);
    expect(msg).toContain("running.  Make sure");
  });
  test("too many versions running → 400 with the original message", () => {
    const [code, msg] = status(() =>
      planDeploy({ ...base, request: req({ destroyPrevious: true, instanceCount: 1 }), instances: [inst("efefeff", T, 1), inst("aabbccd", T, 1)] }),
    );
    expect(code).toBe(400);
    expect(msg).toBe(TOO_MANY_VERSIONS);
    expect(msg).toContain("running.  Destroying");
  });
  test("a failed leftover version does not block destroy_previous", () => {
    const instances = [inst("efefeff", T, 1), inst("aabbccd", T, 1, { state: "exited" })];
    const p = planDeploy({ ...base, request: req({ destroyPrevious: true }), instances });
    expect(p.previous?.key).toBe(`efefeff:${T}`);
  });
  test("pairs new k with old k", () => {
    const instances = [inst("v1", T, 1), inst("v1", T, 2), inst("v1", T, 3)];
    const p = planDeploy({ ...base, request: req({ version: "v2", destroyPrevious: true, timestamp: "2007.01.02-15.04.05" }), instances });
    expect(p.count).toBe(3);
    expect([...p.replaces.entries()]).toEqual([
      [1, `carousel-v1-${T}-1`],
      [2, `carousel-v1-${T}-2`],
      [3, `carousel-v1-${T}-3`],
    ]);
  });
  test("more new instances than old: the extra ones replace nothing", () => {
    const p = planDeploy({ ...base, request: req({ version: "v2", destroyPrevious: true, instanceCount: 3, timestamp: "2007.01.02-15.04.05" }), instances: [inst("v1", T, 1)] });
    expect(p.count).toBe(3);
    expect(p.replaces.size).toBe(1);
  });
  test("the same version:timestamp already running → 409", () => {
    const [code] = status(() => planDeploy({ ...base, request: req({ version: "v1" }), instances: [inst("v1", T, 1)] }));
    expect(code).toBe(409);
  });
  test("the same version at another timestamp is another version", () => {
    const p = planDeploy({ ...base, request: req({ version: "v1", destroyPrevious: true, timestamp: "2007.01.02-15.04.05" }), instances: [inst("v1", T, 1)] });
    expect(p.previous?.key).toBe(`v1:${T}`);
  });
});

describe("resumption plan from labels", () => {
  test("count, pairing and previous come back from the labels", () => {
    const olds = [inst("v1", T, 1), inst("v1", T, 2)];
    const news = [inst("v2", "2007.01.02-15.04.05", 1, { count: 2, destroyPrevious: true, previous: `v1:${T}`, replaces: `carousel-v1-${T}-1` })];
    const p = planFromLabels(news, [...olds, ...news], "mmmhm");
    expect(p.count).toBe(2);
    expect(p.destroyPrevious).toBe(true);
    expect(p.previous?.instances.length).toBe(2);
    expect(p.replaces.get(1)).toBe(`carousel-v1-${T}-1`);
    expect(p.replaces.get(2)).toBe(`carousel-v1-${T}-2`);
  });
});

describe("instance container body", () => {
  test("labels, port published on the publish host with an ephemeral port", () => {
    const instances = [inst("v1", T, 1)];
    const plan = planDeploy({ ...base, request: req({ version: "v2", destroyPrevious: true, timestamp: "2007.01.02-15.04.05" }), instances });
    const body = buildInstanceBody(plan, 1, { containerPort: 3000, publishHost: "127.0.0.1", scope: { "deployster.test": "x" } }) as any;
    expect(body.Image).toBe("mmmhm/carousel:v2");
    expect(body.ExposedPorts).toEqual({ "3000/tcp": {} });
    expect(body.HostConfig.PortBindings).toEqual({ "3000/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] });
    expect(body.HostConfig.Privileged).toBeUndefined();
    expect(body.Labels).toMatchObject({
      "deployster.managed": "true",
      "deployster.test": "x",
      "deployster.service": "carousel",
      "deployster.version": "v2",
      "deployster.timestamp": "2007.01.02-15.04.05",
      "deployster.instance": "1",
      "deployster.replaces": `carousel-v1-${T}-1`,
      "deployster.deploy.previous": `v1:${T}`,
      "deployster.deploy.count": "1",
      "deployster.deploy.destroy-previous": "true",
    });
  });
});
