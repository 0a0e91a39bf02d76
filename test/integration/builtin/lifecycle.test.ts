/**
 * A small stack through the ResourceType interface on the real engine: create from nothing,
 * a second container wired to the first one's state, idempotent re-plan, drift after docker
 * rm / stop / a changed env, secret masking.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { leftovers, removeByLabel, requireDocker } from "../../support/docker";
import { actionsOf, client, converge, HEALTHCHECK, httpGet, makeIO, planOf, uniquePrefix, type Resource } from "./helpers";

const P = uniquePrefix();
const RUN_LABEL = `deployster.test-run=${P}`;
const labels = { "deployster.test": "builtin", "deployster.test-run": P };

const net: Resource = { name: "net", type: "deployster/docker-network", config: { name: `${P}-net`, labels } };
const vol: Resource = { name: "data", type: "deployster/docker-volume", config: { name: `${P}-data`, labels } };
const webConfig = (over: Record<string, unknown> = {}) => ({
  name: `${P}-web`,
  image: "deployster-fixture/web:1",
  env: { LOG_LEVEL: "info", DB_PASSWORD: "pa55w0rd-very-secret" },
  secret_env: ["DB_PASSWORD"],
  ports: ["127.0.0.1::80"],
  mounts: [`${P}-data:/data`],
  networks: { [`${P}-net`]: { aliases: ["www"] } },
  labels,
  healthcheck: HEALTHCHECK,
  stop_timeout: 2,
  ...over,
});
const web: Resource = { name: "web", type: "deployster/docker-container", config: webConfig() };
const front = (webIp: string): Resource => ({
  name: "front",
  type: "deployster/docker-container",
  config: {
    name: `${P}-front`,
    image: "deployster-fixture/web:2",
    env: { UPSTREAM: webIp },
    ports: ["127.0.0.1::80"],
    networks: [`${P}-net`],
    labels,
    // Without a healthcheck, apply returns once the container runs, which can be before
    // httpd listens: the fetch right after converging would race it (ECONNRESET).
    healthcheck: HEALTHCHECK,
    stop_timeout: 2,
  },
});

let webState: Record<string, any>;
let frontRes: Resource;

beforeAll(async () => {
  await requireDocker();
});

afterAll(async () => {
  await removeByLabel(RUN_LABEL);
  expect(await leftovers(RUN_LABEL)).toEqual({ containers: [], networks: [], volumes: [] });
});

describe("built-in types on the real engine", () => {
  test("create from nothing: network, volume, web, and a container configured from web's state", async () => {
    const n = await converge(net);
    expect(actionsOf(n.plan)).toEqual([`create: create network ${P}-net (driver bridge)`]);
    expect(n.state.subnet).toMatch(/\/\d+$/);
    const v = await converge(vol);
    expect(v.state.mountpoint).toContain(`${P}-data`);

    const io = makeIO();
    const w = await converge(web, io);
    expect(actionsOf(w.plan)).toEqual([`create: create and start container ${P}-web (image deployster-fixture/web:1)`]);
    webState = w.state;
    expect(webState.health).toBe("healthy");
    expect(webState.ip).toBe(webState.networks[`${P}-net`].ip);
    expect(webState.networks[`${P}-net`].aliases).toEqual(expect.arrayContaining(["www", `${P}-web`]));
    expect((await httpGet(`http://127.0.0.1:${webState.host_port}/`)).body).toBe("web 1");

    frontRes = front(webState.ip);
    const f = await converge(frontRes);
    expect((await httpGet(`http://127.0.0.1:${f.state.host_port}/cgi-bin/upstream`)).body).toBe("web 1");

    const inspect = JSON.parse(await $`docker inspect ${P}-web`.text())[0];
    expect(inspect.Config.Labels).toMatchObject({ "deployster.managed": "true", "deployster.test": "builtin" });
    expect(JSON.stringify(io.lines)).not.toContain("pa55w0rd");
  }, 60_000);

  test("unchanged manifest: every resource VALID, nothing created, read-only requests only", async () => {
    client.calls = [];
    for (const r of [net, vol, web, frontRes]) expect((await planOf(r)).status).toBe("VALID");
    expect(client.calls.filter((c) => !c.startsWith("GET "))).toEqual([]);
    expect(client.calls.length).toBeLessThanOrEqual(8); // one inspect per object (+ image per container)
  });

  test("drift: docker rm → create", async () => {
    await $`docker rm -f ${P}-front`.quiet();
    const { plan } = await converge(frontRes);
    expect(actionsOf(plan)).toEqual([`create: create and start container ${P}-front (image deployster-fixture/web:2)`]);
  }, 30_000);

  test("drift: docker stop → start", async () => {
    await $`docker stop -t 1 ${P}-web`.quiet();
    const { plan, state } = await converge(web);
    expect(actionsOf(plan)).toEqual([`start: start container ${P}-web (exited with code 0)`]);
    expect(state.id).toBe(webState.id);
    expect(state.health).toBe("healthy");
  }, 30_000);

  test("drift: a changed env → recreate naming the field; secret values masked everywhere", async () => {
    const changed: Resource = { ...web, config: webConfig({ env: { LOG_LEVEL: "debug", DB_PASSWORD: "an0ther-secret-value" } }) };
    const io = makeIO();
    const { plan, state } = await converge(changed, io);
    expect(actionsOf(plan)).toEqual([
      "recreate: recreate (start-first): env.DB_PASSWORD (changed): *** → ***; env.LOG_LEVEL: info → debug",
    ]);
    const everything = JSON.stringify({ plan, state, lines: io.lines });
    expect(everything).not.toContain("pa55w0rd");
    expect(everything).not.toContain("an0ther");
    expect(state.id).not.toBe(webState.id);
    const env = (await $`docker inspect -f '{{json .Config.Env}}' ${P}-web`.text());
    expect(env).toContain("LOG_LEVEL=debug");
    expect((await planOf(changed)).status).toBe("VALID");
  }, 60_000);

  test("a container left by an interrupted replacement is planned as cleanup and removed", async () => {
    await $`docker run -d --name ${P}-web-old-abc123 -l deployster.managed=true -l deployster.name=${P}-web -l deployster.test-run=${P} deployster-fixture/busybox:latest sleep 60`.quiet();
    const changed: Resource = { ...web, config: webConfig({ env: { LOG_LEVEL: "debug", DB_PASSWORD: "an0ther-secret-value" } }) };
    const { plan } = await converge(changed);
    expect(actionsOf(plan)).toEqual([`cleanup: remove ${P}-web-old-abc123 (left by an interrupted replacement)`]);
    expect((await $`docker ps -aq --filter name=${P}-web-old-abc123`.text()).trim()).toBe("");
  }, 30_000);

  test("a failing container's error shows its logs with secrets masked", async () => {
    const bad: Resource = {
      name: "bad",
      type: "deployster/docker-container",
      config: {
        name: `${P}-bad`,
        image: "deployster-fixture/busybox:latest",
        command: ["sh", "-c", 'echo "token is $TOKEN"; exit 3'],
        env: { TOKEN: "tok-123456-secret" },
        secret_env: ["TOKEN"],
        labels,
        min_running: "1s", // a first create is otherwise checked once, which may beat the exit
      },
    };
    const err = await converge(bad).then(() => null, (e: Error) => e);
    expect(err?.message).toContain("exited with code 3");
    expect(err?.message).toContain("token is ***");
    expect(err?.message).not.toContain("tok-123456");
    expect((await planOf(bad)).status).toBe("STALE"); // the failed container was removed
  }, 30_000);

  test("a same-named container deployster did not create is refused, not replaced", async () => {
    await $`docker run -d --name ${P}-foreign -l deployster.test-run=${P} deployster-fixture/busybox:latest sleep 60`.quiet();
    const foreign: Resource = { name: "foreign", type: "deployster/docker-container", config: { name: `${P}-foreign`, image: "deployster-fixture/busybox:latest", labels } };
    await expect(planOf(foreign)).rejects.toThrow(/not managed by deployster/);
  }, 30_000);
});
