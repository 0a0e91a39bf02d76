/**
 * Replacement on the real engine: start-first keeps the old container serving until the new
 * one is healthy (probed over HTTP on 127.0.0.1 throughout); a replacement that never gets
 * healthy is removed while the old one keeps running; a fixed host port means stop-first,
 * with the old container restored when the new one fails.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { inspectContainer, listContainers, streamEvents } from "../../../src/docker/index";
import { docker, leftovers, removeByLabel, requireDocker } from "../../support/docker";
import { actionsOf, converge, freePort, HEALTHCHECK, httpGet, planOf, runActions, uniquePrefix, type Resource } from "./helpers";

const P = uniquePrefix();
const RUN_LABEL = `deployster.test-run=${P}`;
const labels = { "deployster.test": "builtin", "deployster.test-run": P };

const webRes = (over: Record<string, unknown> = {}, env: Record<string, string> = {}): Resource => ({
  name: "web",
  type: "deployster/docker-container",
  config: {
    name: `${P}-web`,
    image: "deployster-fixture/web:1",
    ports: ["127.0.0.1::80"],
    env: { READY_DELAY: "0", ...env },
    labels,
    healthcheck: HEALTHCHECK,
    health_timeout: "20s",
    stop_timeout: 2,
    ...over,
  },
});

interface Probe {
  start: number;
  end: number;
  ok: boolean;
  body?: string;
  error?: string;
}

/** GETs `url` back to back until stopped; every probe recorded with its time span. */
function startProbing(url: string): { stop: () => Promise<Probe[]> } {
  const probes: Probe[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = Date.now();
      try {
        const r = await httpGet(url, 1000);
        probes.push({ start, end: Date.now(), ok: r.status === 200, body: r.body });
      } catch (err) {
        probes.push({ start, end: Date.now(), ok: false, error: String(err) });
      }
      await Bun.sleep(20);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return probes;
    },
  };
}

/** Container events of this test run: id, action, time in ms. */
function recordEvents() {
  const events: { id: string; action: string; t: number }[] = [];
  const ac = new AbortController();
  const done = streamEvents(docker, { filters: { type: ["container"], label: [RUN_LABEL] }, signal: ac.signal }, (ev) =>
    events.push({ id: ev.id ?? "", action: ev.Action ?? "", t: Number(ev.timeNano) / 1e6 }),
  ).catch(() => {});
  return {
    events,
    stop: async () => {
      await Bun.sleep(200); // let the last events arrive
      ac.abort();
      await done;
    },
  };
}

beforeAll(async () => {
  await requireDocker();
});

afterAll(async () => {
  await removeByLabel(RUN_LABEL);
  expect(await leftovers(RUN_LABEL)).toEqual({ containers: [], networks: [], volumes: [] });
});

async function namesFor(name: string): Promise<string[]> {
  const cs = await listContainers(docker, { all: true, labels: [`deployster.name=${name}`] });
  return cs.map((c) => String(c.Names[0]).slice(1)).sort();
}

describe("start-first replacement", () => {
  let old: Record<string, any>;

  test("the old container serves until the new one is healthy; zero failed probes", async () => {
    old = (await converge(webRes())).state;
    const next = webRes({ image: "deployster-fixture/web:2" }, { READY_DELAY: "2" });
    const plan = await planOf(next);
    expect(actionsOf(plan)).toEqual(["recreate: recreate (start-first): env.READY_DELAY: 0 → 2; image: deployster-fixture/web:1 → deployster-fixture/web:2"]);

    const rec = recordEvents();
    await Bun.sleep(100);
    const probing = startProbing(`http://127.0.0.1:${old.host_port}/`);
    await Bun.sleep(200);
    await runActions(next, plan);
    const probes = await probing.stop();
    await rec.stop();

    const after = await planOf(next);
    expect(after.status).toBe("VALID");
    const now = (after as any).state;
    expect(now.id).not.toBe(old.id);
    expect(now.name).toBe(`${P}-web`);
    expect((await httpGet(`http://127.0.0.1:${now.host_port}/`)).body).toBe("web 2");

    const healthy = rec.events.find((e) => e.id === now.id && e.action === "health_status: healthy");
    const oldStop = rec.events.find((e) => e.id === old.id && ["kill", "die", "stop"].includes(e.action));
    expect(healthy).toBeDefined();
    expect(oldStop).toBeDefined();
    expect(healthy!.t).toBeLessThan(oldStop!.t);
    // Every probe until the new container was healthy succeeded, and that window covers
    // the new container's whole start-up (READY_DELAY=2s). The old one was stopped only after.
    const untilHealthy = probes.filter((p) => p.end < healthy!.t);
    expect(untilHealthy.filter((p) => !p.ok)).toEqual([]);
    expect(untilHealthy.every((p) => p.body === "web 1")).toBe(true);
    expect(untilHealthy.length).toBeGreaterThan(20);
    expect(healthy!.t - untilHealthy[0]!.start).toBeGreaterThan(2000);
    expect(await namesFor(`${P}-web`)).toEqual([`${P}-web`]);
    old = now;
  }, 60_000);

  test("a replacement that never gets healthy is removed; the old one keeps running", async () => {
    const broken = webRes({ image: "deployster-fixture/web:2", health_timeout: "15s" }, { READY_DELAY: "2", HEALTHY: "false" });
    const plan = await planOf(broken);
    expect(actionsOf(plan)).toEqual(["recreate: recreate (start-first): env.HEALTHY: (unset) → false"]);
    const probing = startProbing(`http://127.0.0.1:${old.host_port}/`);
    const err = await runActions(broken, plan).then(() => null, (e: Error) => e);
    const probes = await probing.stop();
    expect(err?.message).toMatch(/the replacement failed: its healthcheck failed \d+ times/);
    expect(err?.message).toContain(`the old container ${old.id.slice(0, 12)} keeps running`);
    expect(probes.filter((p) => !p.ok)).toEqual([]);
    expect(probes.length).toBeGreaterThan(10);
    const still = (await inspectContainer(docker, `${P}-web`))!;
    expect(still.Id).toBe(old.id);
    expect(still.State.Running).toBe(true);
    expect(await namesFor(`${P}-web`)).toEqual([`${P}-web`]);
    expect((await planOf(broken)).status).toBe("STALE"); // still wants the change
  }, 60_000);
});

describe("replacement without a healthcheck", () => {
  const job = (command: string): Resource => ({
    name: "job",
    type: "deployster/docker-container",
    config: { name: `${P}-job`, image: "deployster-fixture/busybox:latest", command, restart: "on-failure", labels, stop_timeout: 1 },
  });

  test("a replacement that dies within min_running (even restarting) is removed; the old one keeps running", async () => {
    const first = await converge(job("sleep 600"));
    const err = await converge(job("sh -c 'sleep 0.3; exit 4'")).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/the replacement failed: it (exited with code 4|exited and was restarted|is restarting)/);
    const still = (await inspectContainer(docker, `${P}-job`))!;
    expect(still.Id).toBe(first.state.id);
    expect(still.State.Running).toBe(true);
    expect(await namesFor(`${P}-job`)).toEqual([`${P}-job`]);
  }, 60_000);
});

describe("stop-first replacement (fixed host port)", () => {
  const port = freePort();
  const fixed = (over: Record<string, unknown> = {}, env: Record<string, string> = {}) =>
    webRes({ name: `${P}-fixed`, ports: [`127.0.0.1:${port}:80`], ...over }, env);

  test("the plan says stop-first and why; the new container serves on the same port", async () => {
    const first = await converge(fixed());
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toBe("web 1");
    const next = fixed({ image: "deployster-fixture/web:2" });
    const { plan, state } = await converge(next);
    expect(actionsOf(plan)).toEqual([
      `recreate: recreate (stop-first, fixed host port 127.0.0.1:${port}:80/tcp): image: deployster-fixture/web:1 → deployster-fixture/web:2`,
    ]);
    expect(state.id).not.toBe(first.state.id);
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toBe("web 2");
  }, 60_000);

  test("a failed stop-first replacement restores the old container", async () => {
    const current = (await planOf(fixed({ image: "deployster-fixture/web:2" }))) as any;
    const broken = fixed({ image: "deployster-fixture/web:2", health_timeout: "15s" }, { HEALTHY: "false" });
    const err = await converge(broken).then(() => null, (e: Error) => e);
    expect(err?.message).toContain(`the old container ${current.state.id.slice(0, 12)} was restored`);
    const still = (await inspectContainer(docker, `${P}-fixed`))!;
    expect(still.Id).toBe(current.state.id);
    expect(still.State.Running).toBe(true);
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toBe("web 2");
    expect(await namesFor(`${P}-fixed`)).toEqual([`${P}-fixed`]);
  }, 60_000);
});
