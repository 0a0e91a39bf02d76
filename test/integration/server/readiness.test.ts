/**
 * Readiness and retirement details on the real engine (decisions 2, 3, 4): --health-path,
 * an instance that dies shows `inactive` and does not count as a running version (the
 * original's failed leftovers blocked destroy_previous), failed leftovers are pruned once a
 * destroy_previous deploy is live, and old instances without a same-numbered new one are
 * swept once all new instances are ready.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { killContainer, removeContainer } from "../../../src/docker/containers";
import { docker, settled, startServe, TestScope, units, waitFor, type Serve } from "./harness";

const scope = new TestScope("readiness");
let s: Serve;

beforeAll(async () => {
  for (const svc of ["srvpath", "srvdie", "srvsweep"]) await scope.tag(svc, ["v1", "v2", "v3"]);
  // --no-heal: these tests are about instances that stay dead (serve heals by default: heal.test.ts).
  s = await startServe({ scope, args: ["--health-timeout", "6s", "--no-heal"] });
});

afterAll(async () => {
  expect(await s?.stop()).toBe(0);
  expect(await scope.cleanup()).toEqual([]);
});

describe("readiness gate", () => {
  test("--health-path: 2xx/3xx is ready, a 404 never is", async () => {
    const good = await startServe({ scope, args: ["--health-path", "/health", "--health-timeout", "6s"] });
    const bad = await startServe({ scope, args: ["--health-path", "/no-such-page", "--health-timeout", "4s"] });
    try {
      expect((await good.call("POST", "/v1/services/srvpath/deploys", { deploy: { version: "v1" } })).status).toBe(201);
      expect((await settled(good, "srvpath", "v1")).state).toBe("live");
      expect((await bad.call("POST", "/v1/services/srvpath/deploys", { deploy: { version: "v2", destroy_previous: true } })).status).toBe(201);
      const rec = await settled(bad, "srvpath", "v2");
      expect(rec.state).toBe("failed");
      expect(rec.reason).toContain("was not ready after 4s");
      expect(rec.reason).toContain("GET /no-such-page answered 404");
      expect((await units(good, "srvpath")).map((u) => `${u.version}:${u.current_state}`)).toEqual(["v1:launched"]);
      expect((await good.call("DELETE", "/v1/services/srvpath/deploys/v1")).status).toBe(204);
    } finally {
      expect(await good.stop()).toBe(0);
      expect(await bad.stop()).toBe(0);
    }
  }, 90_000);
});

describe("failed instances", () => {
  test("a dead instance is inactive, does not count as a running version, and is pruned", async () => {
    const SVC = "srvdie";
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1" } })).status).toBe(201);
    await settled(s, SVC, "v1");
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v2" } })).status).toBe(201);
    await settled(s, SVC, "v2");
    const v2 = (await units(s, SVC)).find((u) => u.version === "v2")!;
    await killContainer(docker, v2.container_id);
    await waitFor("v2 to show inactive", async () => (await units(s, SVC)).find((u) => u.version === "v2")?.current_state === "inactive", 20_000);
    // unrouted and recorded as down at once, and left down
    const v2Record = async () => (await s.json("GET", `/v1/services/${SVC}/deploys/v2`)).body.deploy.instances[0];
    await waitFor("the record to say v2 is down", async () => (await v2Record()).state === "failed", 10_000);
    expect((await v2Record()).reason).toContain("left down (--no-heal)");
    await Bun.sleep(1500);
    expect((await units(s, SVC)).find((u) => u.version === "v2")?.current_state).toBe("inactive");
    // two versions exist, but only one runs: destroy_previous is allowed (a failed version does not count as running)
    const r = await s.json("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v3", destroy_previous: true } });
    expect(r.status).toBe(201);
    const rec = await settled(s, SVC, "v3");
    expect(rec.state).toBe("live");
    expect(rec.previous.version).toBe("v1");
    // v1 retired by pairing, the dead v2 pruned
    expect((await units(s, SVC)).map((u) => `${u.version}:${u.current_state}`)).toEqual(["v3:launched"]);
    expect((await s.call("DELETE", `/v1/services/${SVC}/deploys/v3`)).status).toBe(204);
  }, 90_000);

  test("old instances without a same-numbered new one are swept once all new ones are ready", async () => {
    const SVC = "srvsweep";
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", instance_count: 3 } })).status).toBe(201);
    await settled(s, SVC, "v1");
    // instance 2 disappears (removed by hand): v1 now has instances 1 and 3
    const v1 = await units(s, SVC);
    await removeContainer(docker, v1.find((u) => u.instance === "2")!.container_id, { force: true });
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v2", destroy_previous: true } })).status).toBe(201);
    const rec = await settled(s, SVC, "v2");
    expect(rec.state).toBe("live");
    expect(rec.instance_count).toBe(2);
    expect(rec.instances.map((i: any) => [i.instance, i.replaces?.endsWith("-1") ?? null])).toEqual([
      ["1", true],
      ["2", null],
    ]);
    // v1 instance 3 had no counterpart: swept
    expect((await units(s, SVC)).map((u) => `${u.version}:${u.instance}`)).toEqual(["v2:1", "v2:2"]);
    expect((await s.call("DELETE", `/v1/services/${SVC}/deploys/v2`)).status).toBe(204);
  }, 90_000);
});
