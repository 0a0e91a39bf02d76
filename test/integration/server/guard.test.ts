/**
 * serve holds no one else's keys, through the compiled binary on the real engine:
 * string options stay strings; idle connections are closed while an authenticated silent
 * task stream is not; cross-site and non-JSON requests are refused; a container named like
 * an instance but not created by serve is never started, adopted or removed, and names of
 * different services cannot collide; tasks and rollouts are capped; instances and tasks get
 * memory/pids limits; DELETE cancels a rollout of its version under the service lock.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { createContainer, inspectContainer, listContainers, removeContainer, startContainer } from "../../../src/docker/containers";
import { instanceName } from "../../../src/server/names";
import { freePort } from "../../support/registry";
import { authHeader, cleanEnv, deployRecord, docker, ensureBinary, settled, startServe, TestScope, units, waitFor, type Serve } from "./harness";

const scope = new TestScope("guard");
const SVC = "srvguard";
const T = "2016.01.02-03.04.05";
let s: Serve;

beforeAll(async () => {
  await scope.tag(SVC, ["v1", "v2"]);
  await scope.tagAs("deployster/app:never-ready", SVC, "never");
  await scope.tagAs("deployster/app:v1", SVC, "b-c");
  await scope.tagAs("deployster/app:v1", "srvguard-b", "c");
  s = await startServe({ scope, args: ["--health-timeout", "60s", "--idle-timeout", "2s"] });
});

afterAll(async () => {
  expect(await s?.stop()).toBe(0);
  expect(await scope.cleanup()).toEqual([]);
});

/** Opens a TCP connection, optionally sends `request`, and resolves with how long until the server closed it (or undefined after `waitMs`). */
function timeClose(port: number, request: string | undefined, waitMs: number): Promise<{ closedAfterMs?: number; received: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let received = "";
    const sock = connect(port, "127.0.0.1", () => {
      if (request) sock.write(request);
    });
    let gaveUp = false;
    const timer = setTimeout(() => {
      gaveUp = true;
      resolve({ received });
      sock.destroy();
    }, waitMs);
    sock.on("data", (d) => (received += d.toString("latin1")));
    sock.on("error", () => {});
    sock.on("close", () => {
      if (gaveUp) return;
      clearTimeout(timer);
      resolve({ closedAfterMs: Date.now() - t0, received });
    });
  });
}

describe("string options", () => {
  test("--username 123 --password 000123 are used as written", async () => {
    const port = freePort();
    const proc = Bun.spawn([ensureBinary(), "serve", "--listen", `127.0.0.1:${port}`, "--username", "123", "--password", "000123", "--docker-hub-username", "srvtest"], {
      env: cleanEnv({ DEPLOYSTER_SERVE_LABELS: scope.serveLabels }),
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const status = await waitFor("serve to answer", async () => {
        if (proc.exitCode !== null) throw new Error(`serve exited ${proc.exitCode}: ${await new Response(proc.stderr).text()}`);
        const r = await fetch(`http://127.0.0.1:${port}/v1/version`, { headers: { authorization: authHeader("123", "000123") } }).catch(() => undefined);
        return r?.status;
      }, 20_000);
      expect(status).toBe(200);
      const wrong = await fetch(`http://127.0.0.1:${port}/v1/version`, { headers: { authorization: authHeader("123", "123") } });
      expect(wrong.status).toBe(401);
    } finally {
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    }
  });
});

describe("idle connections", () => {
  test("an idle connection, and an unauthenticated keep-alive after its 401, are closed (--idle-timeout 2s)", async () => {
    const [idle, keptAlive] = await Promise.all([
      // Bun checks idle sockets on a coarse timer: a 2 s timeout closes within ~4-12 s.
      timeClose(s.port, undefined, 25_000),
      timeClose(s.port, "GET /v1/version HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", 25_000),
    ]);
    console.log(`closed after ${idle.closedAfterMs} ms (idle) and ${keptAlive.closedAfterMs} ms (keep-alive after a 401)`);
    expect(idle.closedAfterMs).toBeDefined();
    expect(keptAlive.received).toStartWith("HTTP/1.1 401");
    expect(keptAlive.closedAfterMs).toBeDefined();
  }, 40_000);

  test("an authenticated task silent for longer than the idle timeout streams to its end", async () => {
    const res = await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "echo start; sleep 9; echo end" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("start\nend\n\nExited (0) \n");
  }, 30_000);

  test("once an authenticated task has streamed to its end, its keep-alive connection idles out too", async () => {
    const body = JSON.stringify({ task: { version: "v1", command: "echo start; sleep 6; echo end" } });
    const request =
      `POST /v1/services/${SVC}/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: ${authHeader()}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`;
    const r = await timeClose(s.port, request, 40_000);
    expect(r.received).toStartWith("HTTP/1.1 200");
    expect(r.received).toContain("Exited (0) ");
    // Closed by the server, after the 6 s task (not during its silence), within the wait.
    expect(r.closedAfterMs).toBeDefined();
    expect(r.closedAfterMs!).toBeGreaterThan(6000);
  }, 60_000);
});

describe("cross-site requests and content types", () => {
  test("Origin of another site, or Sec-Fetch-Site cross-site/same-site → 403 with the reason; nothing deployed", async () => {
    const body = { deploy: { version: "v1" } };
    const refused: Record<string, string>[] = [{ origin: "http://evil.example" }, { origin: "null" }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }];
    for (const headers of refused) {
      const res = await s.call("POST", `/v1/services/${SVC}/deploys`, body, { headers });
      expect(res.status).toBe(403);
      const json = (await res.json()) as { description: string; error: string };
      expect(json.error).toBe("Forbidden");
      expect(json.description).toContain("Cross-site requests are refused");
    }
    const task = await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "echo hi" } }, { headers: { origin: "https://evil.example" } });
    expect(task.status).toBe(403);
    const del = await s.call("DELETE", `/v1/services/${SVC}/deploys/v1`, undefined, { headers: { "sec-fetch-site": "cross-site" } });
    expect(del.status).toBe(403);
    // Its own origin and a same-origin fetch go through (here: a 400 for the bad version).
    const own = await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "../x" } }, { headers: { origin: s.url, "sec-fetch-site": "same-origin" } });
    expect(own.status).toBe(400);
    expect(await units(s, SVC)).toEqual([]);
  });

  test("a body that is not declared JSON → 415 with the reason", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await s.call("POST", `/v1/services/${SVC}/deploys`, JSON.stringify({ deploy: { version: "v1" } }), { headers: { "content-type": type } });
      expect(res.status).toBe(415);
      expect(((await res.json()) as any).description).toContain("Content-Type: application/json");
    }
    const task = await s.call("POST", `/v1/services/${SVC}/tasks`, JSON.stringify({ task: { version: "v1", command: "echo hi" } }), { headers: { "content-type": "text/plain" } });
    expect(task.status).toBe(415);
    const charset = await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "echo hi" } }, { headers: { "content-type": "application/json; charset=utf-8" } });
    expect(await charset.text()).toBe("hi\n\nExited (0) \n");
    expect(await units(s, SVC)).toEqual([]);
  });
});

describe("containers serve did not create", () => {
  const foreignName = instanceName(SVC, "v1", T, 1);
  const created: string[] = [];
  afterAll(async () => {
    for (const id of created) await removeContainer(docker, id, { force: true }).catch(() => {});
  });

  test("a container named like instance 1 but without serve's labels is not started, adopted, or removed: 409", async () => {
    // Created, not started: the old code would have started and adopted it.
    const { Id } = await createContainer(docker, { Image: "deployster/app:v1", Labels: { "deployster.test.foreign": scope.file } }, foreignName);
    created.push(Id);
    const res = await s.json("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", timestamp: T } });
    expect(res.status).toBe(409);
    expect(res.body.description).toContain(`A container named ${foreignName} exists that this server did not create`);
    expect((await inspectContainer(docker, Id))!.State.Status).toBe("created");
    expect(await units(s, SVC)).toEqual([]);
    expect((await s.call("DELETE", `/v1/services/${SVC}/deploys/v1`)).status).toBe(204);
    expect(await inspectContainer(docker, Id)).not.toBeNull();
    await removeContainer(docker, Id, { force: true });
  });

  test("an exited one with serve's marker but another scope is not force-removed either", async () => {
    const { Id } = await createContainer(
      docker,
      { Image: "deployster/app:v1", Cmd: ["true"], Labels: { "deployster.managed": "true", "deployster.component": "serve-instance", "deployster.test.foreign": scope.file } },
      foreignName,
    );
    created.push(Id);
    await startContainer(docker, Id);
    await waitFor("the foreign container to exit", async () => (await inspectContainer(docker, Id))?.State?.Status === "exited", 10_000);
    const res = await s.json("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", timestamp: T } });
    expect(res.status).toBe(409);
    expect(res.body.description).toContain("it lacks");
    expect(await inspectContainer(docker, Id)).not.toBeNull();
    await removeContainer(docker, Id, { force: true });
  });

  test("services whose names used to collide (srvguard + b-c, srvguard-b + c) both deploy", async () => {
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "b-c", timestamp: T } })).status).toBe(201);
    expect((await settled(s, SVC, "b-c")).state).toBe("live");
    expect((await s.call("POST", "/v1/services/srvguard-b/deploys", { deploy: { version: "c", timestamp: T } })).status).toBe(201);
    expect((await settled(s, "srvguard-b", "c")).state).toBe("live");
    const [a, b] = [await units(s, SVC), await units(s, "srvguard-b")];
    expect(a.map((u) => `${u.version}:${u.current_state}`)).toEqual(["b-c:launched"]);
    expect(b.map((u) => `${u.version}:${u.current_state}`)).toEqual(["c:launched"]);
    expect(a[0]!.container_name).not.toBe(b[0]!.container_name);
    expect(a[0]!.container_id).not.toBe(b[0]!.container_id);
    expect((await s.call("DELETE", `/v1/services/${SVC}/deploys/b-c`)).status).toBe(204);
    expect((await s.call("DELETE", "/v1/services/srvguard-b/deploys/c")).status).toBe(204);
    expect(await units(s, SVC)).toEqual([]);
    expect(await units(s, "srvguard-b")).toEqual([]);
  }, 60_000);
});

describe("DELETE during a rollout", () => {
  test("cancels the rollout of that version under the service lock; another version's DELETE is a 409", async () => {
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "never" } })).status).toBe(201);
    await waitFor("the never-ready instance to boot", async () => (await units(s, SVC)).length === 1, 20_000);
    const other = await s.json("DELETE", `/v1/services/${SVC}/deploys/v2`);
    expect(other.status).toBe(409);
    expect(other.body.description).toContain("is in progress");
    const t0 = Date.now();
    const cancelled = await s.json("DELETE", `/v1/services/${SVC}/deploys/never`);
    if (cancelled.status !== 204) console.log(s.output().split("\n").slice(-15).join("\n"));
    expect(cancelled.status).toBe(204);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect((await deployRecord(s, SVC, "never")).state).toBe("destroyed");
    expect(await units(s, SVC)).toEqual([]);
    // The lock is free at once: the next deploy is accepted.
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v2" } })).status).toBe(201);
    const v2 = await settled(s, SVC, "v2");
    if (v2.state !== "live") throw new Error(`v2 is ${v2.state}: ${v2.reason}`);
    expect((await s.call("DELETE", `/v1/services/${SVC}/deploys/v2`)).status).toBe(204);
  }, 90_000);
});

describe("caps and limits", () => {
  let limited: Serve;
  beforeAll(async () => {
    limited = await startServe({
      scope,
      args: ["--max-tasks", "1", "--max-deploys", "1", "--health-timeout", "60s", "--instance-memory", "64m", "--instance-pids", "50", "--task-memory", "32m", "--task-pids", "20"],
    });
  });
  afterAll(async () => {
    expect(await limited?.stop()).toBe(0);
  });

  test("--max-tasks: a second task while one runs → 429 with the reason; the task has its memory/pids limits", async () => {
    const first = await limited.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "sleep 3; echo done" } });
    if (first.status !== 200) throw new Error(`the first task: ${first.status} ${await first.text()}`);
    const second = await limited.json("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "echo no" } });
    expect(second.status).toBe(429);
    expect(second.body.description).toContain("--max-tasks");
    expect(second.res.headers.get("retry-after")).toBe("5");
    const [task] = await listContainers(docker, { labels: [scope.fileLabel, "deployster.component=serve-task"] });
    const info = (await inspectContainer(docker, task.Id))!;
    expect(info.HostConfig.Memory).toBe(32 * 1024 * 1024);
    expect(info.HostConfig.PidsLimit).toBe(20);
    expect(await first.text()).toBe("done\n\nExited (0) \n");
    const third = await limited.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "echo yes" } });
    expect(await third.text()).toBe("yes\n\nExited (0) \n");
  }, 30_000);

  test("--max-deploys: a second rollout while one runs → 429; instances have their memory/pids limits", async () => {
    expect((await limited.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "never" } })).status).toBe(201);
    const second = await limited.json("POST", "/v1/services/srvguard-b/deploys", { deploy: { version: "c" } });
    expect(second.status).toBe(429);
    expect(second.body.description).toContain("--max-deploys");
    const [u] = await waitFor("the instance", async () => {
      const us = await units(limited, SVC);
      return us.length === 1 ? us : undefined;
    }, 20_000);
    const info = (await inspectContainer(docker, u!.container_id))!;
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.PidsLimit).toBe(50);
    expect((await limited.call("DELETE", `/v1/services/${SVC}/deploys/never`)).status).toBe(204);
    expect(await units(limited, SVC)).toEqual([]);
  }, 60_000);
});
