/**
 * Crash-safe rollouts without a state file (decision 6): the server is SIGKILLed in the
 * middle of a rollout under load through Caddy and restarted, and it finishes the rollout
 * with zero failed requests; engine states a crash can leave (new instances missing, half
 * retired, a new instance that died) are resumed from the labels; SIGTERM stops at a safe
 * point with exit 0 and the next start finishes the job.
 */
import type { ContainerInspect } from "../../../src/docker/types";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createContainer, listContainers, removeContainer, startContainer } from "../../../src/docker/containers";
import { buildInstanceBody } from "../../../src/server/rollout/boot";
import type { DeployPlan } from "../../../src/server/rollout/plan";
import { startCaddy, type Caddy } from "../../support/caddy";
import { AREA_LABEL, deployRecord, docker, PREFIX, settled, startServe, TestScope, units, waitFor, type Serve } from "./harness";
import { startLoad } from "./load";

const scope = new TestScope("resume");
const DOMAIN = "srvtest.local";
let caddy: Caddy;

beforeAll(async () => {
  for (const svc of ["srvkill", "srvcraft", "srvdead", "srvterm"]) await scope.tag(svc, ["v1", "v2", "slow", "exits"]);
  caddy = await startCaddy();
});

afterAll(async () => {
  await caddy?.stop();
  expect(await scope.cleanup()).toEqual([]);
});

const routed = (svc: string) => ["--caddy-admin", caddy.adminUrl, "--domain", DOMAIN, "--health-timeout", "60s"];

/** What a server would have created for new instance k of `plan` (the crash states below). */
async function craftInstance(plan: DeployPlan, k: number, start = true): Promise<string> {
  const [areaKey, areaValue] = AREA_LABEL.split("=") as [string, string];
  const [fileKey, fileValue] = scope.fileLabel.split("=") as [string, string];
  const body = buildInstanceBody(plan, k, { containerPort: 3000, publishHost: "127.0.0.1", scope: { [areaKey]: areaValue, [fileKey]: fileValue } });
  const { Id } = await createContainer(docker, body, `${plan.service}-${plan.version}-${plan.timestamp}-${k}`);
  if (start) await startContainer(docker, Id);
  return Id;
}

function plan(service: string, version: string, timestamp: string, previous: string, replaces: Record<number, string>): DeployPlan {
  return {
    service,
    version,
    timestamp,
    image: `${PREFIX}/${service}:${version}`,
    count: 3,
    destroyPrevious: true,
    requestedDestroyPrevious: true,
    previous: { key: previous, instances: [] },
    replaces: new Map(Object.entries(replaces).map(([k, v]) => [Number(k), v])),
    startedAt: new Date().toISOString(),
    history: "[]",
    leftovers: [],
  };
}

describe("resumption", () => {
  test("SIGKILL mid-rollout under load, restart: the rollout finishes, zero failed requests", async () => {
    const SVC = "srvkill";
    let s = await startServe({ scope, args: routed(SVC) });
    try {
      expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", instance_count: 3 } })).status).toBe(201);
      expect((await settled(s, SVC, "v1")).state).toBe("live");
      const load = startLoad({ port: caddy.httpPort, host: `${SVC}.${DOMAIN}`, expect: ["v1", "slow"] });
      // "slow" opens its port 4 s after start: kill the server while the new instances boot.
      expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "slow", destroy_previous: true } })).status).toBe(201);
      await waitFor("the new instances to exist", async () => (await units(s, SVC)).filter((u) => u.version === "slow").length === 3, 30_000, 50);
      await s.kill();
      expect(s.proc.signalCode).toBe("SIGKILL");
      // the state the crash left: all of v1 and the new instances (created or booting)
      const frozen = await listContainers(docker, { all: true, labels: [scope.fileLabel, `deployster.service=${SVC}`] });
      expect(frozen.length).toBe(6);

      s = await startServe({ scope, args: routed(SVC) });
      const rec = await waitFor("the resumed rollout to finish", async () => {
        const d = await deployRecord(s, SVC, "slow");
        return d?.state === "live" ? d : undefined;
      }, 90_000, 200);
      await Bun.sleep(500);
      const stats = await load.stop();
      console.error(`SIGKILL mid-rollout under load: ${stats.total} requests, ${stats.failed} failed, ${stats.retried} retried`);
      expect(stats.failures).toEqual([]);
      expect(stats.bodies.slow).toBeGreaterThan(0);
      expect(rec.instances.every((i: any) => i.state === "ready" && i.retired)).toBe(true);
      const us = await units(s, SVC);
      expect(us.map((u) => `${u.version}:${u.current_state}:${u.routed}`)).toEqual(["slow:launched:true", "slow:launched:true", "slow:launched:true"]);
      expect((await deployRecord(s, SVC, "v1"))?.state).toBe("destroyed");
      expect(await s.stop()).toBe(0);
    } finally {
      await s.kill();
    }
  }, 180_000);

  test("crash states from the labels: missing new instances are booted, the rest of the old version retired", async () => {
    const SVC = "srvcraft";
    let s = await startServe({ scope });
    const T1 = "2020.01.01-00.00.01";
    const T2 = "2020.01.01-00.00.02";
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", timestamp: T1, instance_count: 3 } })).status).toBe(201);
    expect((await settled(s, SVC, "v1")).state).toBe("live");
    expect(await s.stop()).toBe(0);
    // The crash: new instance 1 booted, old instance 1 retired, new 2 and 3 never created.
    const old = (k: number) => `${SVC}-v1-${T1}-${k}`;
    await craftInstance(plan(SVC, "v2", T2, `v1:${T1}`, { 1: old(1), 2: old(2), 3: old(3) }), 1);
    await removeContainer(docker, old(1), { force: true });

    s = await startServe({ scope });
    try {
      const rec = await waitFor("the crafted rollout to finish", async () => {
        const d = await deployRecord(s, SVC, "v2");
        return d?.state === "live" ? d : undefined;
      }, 60_000, 200);
      expect(rec.instance_count).toBe(3);
      const us = await units(s, SVC);
      expect(us.map((u) => `${u.container_name}:${u.current_state}`)).toEqual([1, 2, 3].map((k) => `${SVC}-v2-${T2}-${k}:launched`));
      expect(await s.stop()).toBe(0);
    } finally {
      await s.kill();
    }
  }, 120_000);

  test("crash states from the labels: a new instance that died is removed, its old one stays, the deploy is failed", async () => {
    const SVC = "srvdead";
    let s = await startServe({ scope });
    const T1 = "2020.01.01-00.00.01";
    const T2 = "2020.01.01-00.00.02";
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", timestamp: T1, instance_count: 1 } })).status).toBe(201);
    expect((await settled(s, SVC, "v1")).state).toBe("live");
    expect(await s.stop()).toBe(0);
    const p = { ...plan(SVC, "exits", T2, `v1:${T1}`, { 1: `${SVC}-v1-${T1}-1` }), count: 1 };
    const id = await craftInstance(p, 1);
    await waitFor("the crafted instance to exit", async () => (await docker.json<ContainerInspect>("GET", `/containers/${id}/json`)).State.Status === "exited", 30_000);

    s = await startServe({ scope });
    try {
      const rec = await waitFor("the resumed rollout to fail", async () => {
        const d = await deployRecord(s, SVC, "exits");
        return d?.state === "failed" ? d : undefined;
      }, 60_000, 200);
      expect(rec.reason).toContain("exited");
      expect(rec.log_tail).toContain("fatal: DATABASE_URL is not set");
      expect((await units(s, SVC)).map((u) => `${u.version}:${u.current_state}`)).toEqual(["v1:launched"]);
      expect(await s.stop()).toBe(0);
    } finally {
      await s.kill();
    }
  }, 120_000);

  test("SIGTERM mid-rollout: exit 0 at a safe point; the next start finishes the rollout", async () => {
    const SVC = "srvterm";
    let s = await startServe({ scope, args: routed(SVC) });
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", instance_count: 2 } })).status).toBe(201);
    expect((await settled(s, SVC, "v1")).state).toBe("live");
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "slow", destroy_previous: true } })).status).toBe(201);
    await waitFor("the new instances to exist", async () => (await units(s, SVC)).filter((u) => u.version === "slow").length === 2, 30_000, 50);
    const t0 = Date.now();
    expect(await s.stop("SIGTERM")).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    s = await startServe({ scope, args: routed(SVC) });
    try {
      const rec = await waitFor("the resumed rollout to finish", async () => {
        const d = await deployRecord(s, SVC, "slow");
        return d?.state === "live" ? d : undefined;
      }, 90_000, 200);
      expect(rec.instance_count).toBe(2);
      expect((await units(s, SVC)).map((u) => `${u.version}:${u.routed}`)).toEqual(["slow:true", "slow:true"]);
      const r = await fetch(`http://127.0.0.1:${caddy.httpPort}/`, { headers: { host: `${SVC}.${DOMAIN}` } });
      expect((await r.text()).trim()).toBe("slow");
      expect(await s.stop()).toBe(0);
    } finally {
      await s.kill();
    }
  }, 180_000);
});
