import { describe, expect, test } from "bun:test";
import { crossSiteReason, isJsonContentType } from "../../../src/server/guard";
import { limitsHostConfig, parseByteSize, resolveLimits } from "../../../src/server/limits";
import { ServiceLocks } from "../../../src/server/mutex";
import { instanceName, joinNameParts, splitNameParts, taskName } from "../../../src/server/names";
import { foreignReason } from "../../../src/server/ownership";
import { findHostRoute } from "../../../src/server/router";

describe("container names cannot collide", () => {
  test("the names that used to collide differ; plain names keep the original's shape", () => {
    const T = "2015.03.02-00.21.42";
    expect(instanceName("a", "b-c", T, 1)).not.toBe(instanceName("a-b", "c", T, 1));
    expect(instanceName("web", "v2", T, 3)).toBe(`web-v2-${T}-3`);
    expect(instanceName("my-app", "v2", T, 3)).toBe(`my-app_v2_${T}_3`);
    expect(instanceName("my_app", "v_2", T, 1)).toBe(`my__app_v__2_${T}_1`);
    expect(taskName("web", "v1", "abc")).toBe("web-v1-task-abc");
  });

  test("joinNameParts reads back into exactly its parts", () => {
    const alphabet = "ab_-.1";
    const rnd = (() => {
      let x = 7;
      return () => ((x = (x * 1103515245 + 12345) % 2 ** 31), x / 2 ** 31);
    })();
    const part = () => "a" + Array.from({ length: Math.floor(rnd() * 6) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join("");
    for (let i = 0; i < 2000; i++) {
      const parts = Array.from({ length: 2 + Math.floor(rnd() * 3) }, part);
      expect(splitNameParts(joinNameParts(parts))).toEqual(parts);
    }
  });

  test("no two instances or tasks share a name (exhaustive over tricky names)", () => {
    const names = ["a", "b", "a-b", "b-c", "a_b", "a-", "a_", "a__b", "c", "a-b-c", "a_b_c", "task", "1"];
    const seen = new Map<string, string>();
    const add = (name: string, id: string) => {
      expect(seen.get(name) ?? id).toBe(id);
      seen.set(name, id);
    };
    for (const svc of names) {
      for (const ver of names) {
        for (const k of [1, 12]) add(instanceName(svc, ver, "2015.03.02-00.21.42", k), `instance|${svc}|${ver}|${k}`);
        add(taskName(svc, ver, "0a1b"), `task|${svc}|${ver}`);
      }
    }
    expect(seen.size).toBe(names.length * names.length * 3);
  });
});

describe("ownership of a container found by name", () => {
  const expected = { service: "web", version: "v1", timestamp: "2015.03.02-00.21.42", instance: 1 };
  const own = {
    "deployster.managed": "true",
    "deployster.component": "serve-instance",
    "scope.x": "1",
    "deployster.service": "web",
    "deployster.version": "v1",
    "deployster.timestamp": "2015.03.02-00.21.42",
    "deployster.instance": "1",
  };
  test("all labels → ours; any one missing or different → the reason", () => {
    expect(foreignReason(own, { "scope.x": "1" }, expected)).toBeUndefined();
    expect(foreignReason(null, {}, expected)).toContain("deployster.managed=true");
    expect(foreignReason({ ...own, "scope.x": "2" }, { "scope.x": "1" }, expected)).toContain("scope.x=1");
    expect(foreignReason(own, { "scope.x": "1" }, { ...expected, instance: 2 })).toContain("deployster.instance=2");
    expect(foreignReason({ ...own, "deployster.component": "serve-task" }, { "scope.x": "1" }, expected)).toContain("deployster.component=serve-instance");
  });
});

describe("cross-site requests and content types", () => {
  const h = (o: Record<string, string>) => new Headers(o);
  test("refused: another Origin, Origin null, Sec-Fetch-Site cross-site or same-site", () => {
    expect(crossSiteReason(h({ host: "api:3000", origin: "http://evil.test" }))).toContain("evil.test");
    expect(crossSiteReason(h({ host: "api:3000", origin: "http://api:3001" }))).toBeDefined();
    expect(crossSiteReason(h({ host: "api:3000", origin: "null" }))).toBeDefined();
    expect(crossSiteReason(h({ host: "api:3000", origin: "not a url" }))).toBeDefined();
    expect(crossSiteReason(h({ host: "api:3000", "sec-fetch-site": "cross-site" }))).toContain("cross-site");
    expect(crossSiteReason(h({ host: "api:3000", "sec-fetch-site": "same-site" }))).toContain("same-site");
  });
  test("allowed: no browser headers, the same origin, same-origin or none", () => {
    expect(crossSiteReason(h({ host: "api:3000" }))).toBeUndefined();
    expect(crossSiteReason(h({ host: "API:3000", origin: "https://api:3000" }))).toBeUndefined();
    expect(crossSiteReason(h({ host: "api:3000", "sec-fetch-site": "same-origin" }))).toBeUndefined();
    expect(crossSiteReason(h({ host: "api:3000", "sec-fetch-site": "none" }))).toBeUndefined();
  });
  test("JSON content types", () => {
    for (const t of ["application/json", "Application/JSON; charset=utf-8", "application/vnd.api+json"]) expect(isJsonContentType(t)).toBe(true);
    for (const t of [null, "", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "text/json", "application/jsonp"]) expect(isJsonContentType(t)).toBe(false);
  });
});

describe("limits", () => {
  test("memory sizes in docker's notation", () => {
    expect(parseByteSize("64m")).toBe(64 * 1024 ** 2);
    expect(parseByteSize("1g")).toBe(1024 ** 3);
    expect(parseByteSize("1.5G")).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize("512MiB")).toBe(512 * 1024 ** 2);
    expect(parseByteSize("1048576")).toBe(1048576);
    for (const bad of ["", "m", "-1m", "1x", "1 gigabyte"]) expect(parseByteSize(bad)).toBeUndefined();
  });
  test("defaults, checks and the HostConfig fields", () => {
    const d = resolveLimits({});
    expect(d).toMatchObject({ idleTimeoutS: 30, maxTasks: 32, maxDeploys: 16, dockerTimeoutMs: 120_000, pullTimeoutMs: 600_000, instance: {}, task: {} });
    expect(resolveLimits({ idleTimeout: "255s", maxTasks: "3", instanceMemory: "64m", taskPids: 20 })).toMatchObject({
      idleTimeoutS: 255,
      maxTasks: 3,
      instance: { memoryBytes: 64 * 1024 ** 2 },
      task: { pids: 20 },
    });
    expect(() => resolveLimits({ idleTimeout: "256s" })).toThrow(/--idle-timeout/);
    expect(() => resolveLimits({ idleTimeout: "500ms" })).toThrow(/--idle-timeout/);
    expect(() => resolveLimits({ maxTasks: "0" })).toThrow(/--max-tasks/);
    expect(() => resolveLimits({ maxDeploys: "x" })).toThrow(/--max-deploys/);
    expect(() => resolveLimits({ instanceMemory: "1m" })).toThrow(/--instance-memory/);
    expect(() => resolveLimits({ taskPids: "-3" })).toThrow(/--task-pids/);
    expect(() => resolveLimits({ pullTimeout: "soon" })).toThrow(/--pull-timeout/);
    expect(limitsHostConfig({})).toEqual({});
    expect(limitsHostConfig({ memoryBytes: 100, pids: 5 })).toEqual({ Memory: 100, MemorySwap: 100, PidsLimit: 5 });
  });
});

describe("service locks", () => {
  test("acquireWithin waits for the holder's release, or gives up", async () => {
    const locks = new ServiceLocks();
    expect(locks.tryAcquire("s", "deploy")).toBe(true);
    expect(await locks.acquireWithin("s", "destroy", 30)).toBe(false);
    setTimeout(() => locks.release("s"), 20);
    expect(await locks.acquireWithin("s", "destroy", 2000)).toBe(true);
    expect(locks.holder("s")).toBe("destroy");
  });
});

describe("Caddy routes of others", () => {
  test("findHostRoute: the first route not ours whose host matcher names the host exactly", () => {
    const routes = [
      { "@id": "deployster-route-web.d", match: [{ host: ["web.d"] }] },
      { match: [{ host: ["*.d"] }] },
      { match: [{ path: ["/x"] }, { host: ["other.d", "WEB.d"] }] },
      {},
    ];
    expect(findHostRoute(routes, "web.d")).toBe(2);
    expect(findHostRoute(routes, "api.d")).toBe(-1);
    expect(findHostRoute([null, "x", { match: "bad" }], "web.d")).toBe(-1);
  });
});
