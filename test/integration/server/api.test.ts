/**
 * The wire contract of `deployster serve` (spec section 3, decisions 1, 2, 7, 10, 11) on
 * the real engine, through the compiled binary. Rollouts under load, routing, tasks and
 * resumption have their own files.
 */
import type { ContainerInspect } from "../../../src/docker/types";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createContainer } from "../../../src/docker/containers";
import { TOO_MANY_INSTANCES, TOO_MANY_VERSIONS } from "../../../src/server/rollout/plan";
import { VERSION } from "../../../src/version";
import { authHeader, deployRecord, docker, PASSWORD, settled, startServe, TestScope, units, waitFor, type Serve } from "./harness";

const scope = new TestScope("api");
let s: Serve;
const SVC = "srvapi";

beforeAll(async () => {
  await scope.tag(SVC, ["v1", "v2", "slow"]);
  await scope.tag(`not${SVC}`, ["v1"]);
  s = await startServe({ scope });
});

afterAll(async () => {
  const code = await s?.stop();
  expect(code).toBe(0);
  expect(await scope.cleanup()).toEqual([]);
});

const ROUTES: [string, string][] = [
  ["GET", "/v1/version"],
  ["POST", `/v1/services/${SVC}/deploys`],
  ["GET", `/v1/services/${SVC}/deploys`],
  ["GET", `/v1/services/${SVC}/deploys/v1`],
  ["DELETE", `/v1/services/${SVC}/deploys/v1`],
  ["GET", `/v1/services/${SVC}/units`],
  ["POST", `/v1/services/${SVC}/tasks`],
  ["POST", `/v1/services/${SVC}/rollback`],
  // unknown paths and wrong methods are authenticated too
  ["GET", "/"],
  ["GET", "/debug/pprof/"],
  ["GET", "/v1/nope"],
  ["PUT", "/v1/version"],
  ["PATCH", `/v1/services/${SVC}/units`],
];

describe("authentication on every path", () => {
  test("no, wrong or malformed credentials → 401 with the realm, before 404/405", async () => {
    const bad = [null, authHeader("deployster", "wrong"), authHeader("someone", PASSWORD), authHeader("deployster", ""), "Basic ???", "Bearer x"];
    for (const [method, path] of ROUTES) {
      for (const auth of bad) {
        const res = await s.call(method, path, method === "POST" ? { deploy: { version: "v1" } } : undefined, { auth });
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe('Basic realm="Deployster"');
        expect(res.headers.get("content-type")).toBe("application/json");
        const body = (await res.json()) as Record<string, string>;
        expect(typeof body.description).toBe("string");
        expect(body.error).toBe("Unauthorized");
      }
    }
    // nothing was deployed by any of those
    expect(await units(s, SVC)).toEqual([]);
  });

  test("authenticated: unknown paths 404, wrong methods 405 with Allow, no debug endpoints", async () => {
    // GET / is the status page (test/integration/ui).
    for (const path of ["/debug/pprof/", "/debug/vars", "/v1/nope", "/v1/services/x", "/v1/version/", "/ui/nope.js", "/index.html"]) {
      const r = await s.json("GET", path);
      expect(r.status).toBe(404);
      expect(r.body.error).toBe("Not Found");
    }
    const r = await s.json("PUT", "/v1/version");
    expect(r.status).toBe(405);
    expect(r.res.headers.get("allow")).toBe("GET");
    expect(r.body).toEqual({ description: "PUT is not allowed on /v1/version.", error: "Method Not Allowed" });
  });
});

describe("version", () => {
  test("GET /v1/version → text/plain version and a newline", async () => {
    const res = await s.call("GET", "/v1/version");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/plain");
    expect(await res.text()).toBe(`${VERSION}\n`);
  });
});

describe("units", () => {
  test('no instances → {"units":[]} (never null)', async () => {
    const res = await s.call("GET", "/v1/services/srvnothing/units");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect((await res.text()).trim()).toBe('{"units":[]}');
  });
});

describe("deploys", () => {
  const T1 = "2015.03.02-00.21.42";
  const T2 = "2015.03.02-00.31.45";

  test("a plain deploy: 201, empty body, Location; instances named and labelled; units launched", async () => {
    const res = await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", timestamp: T1, instance_count: 2 } });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("");
    const location = res.headers.get("location");
    expect(location).toBe(`/v1/services/${SVC}/deploys/v1?timestamp=${T1}`);
    const rec = await settled(s, SVC, "v1");
    expect(rec).toMatchObject({ service: SVC, version: "v1", timestamp: T1, state: "live", instance_count: 2 });
    const viaLocation = await s.json("GET", location!);
    expect(viaLocation.body.deploy.state).toBe("live");

    const us = await units(s, SVC);
    const info = await docker.json<{ ID: string }>("GET", "/info");
    expect(us.map((u) => [u.instance, u.version, u.current_state, u.desired_state, u.deploy_timestamp, u.machine_id])).toEqual([
      ["1", "v1", "launched", "launched", T1, info.ID],
      ["2", "v1", "launched", "launched", T1, info.ID],
    ]);
    for (const u of us) {
      expect(u.container_name).toBe(`${SVC}-v1-${T1}-${u.instance}`);
      expect(u.host_port).toBeGreaterThan(0);
      expect(u.routed).toBeNull();
      // reachable on its host port without a router, answering with its version
      expect(await (await fetch(`http://127.0.0.1:${u.host_port}/`)).text()).toBe("v1\n");
      const c = await docker.json<ContainerInspect>("GET", `/containers/${u.container_id}/json`);
      expect(c.Config.Labels).toMatchObject({
        "deployster.managed": "true",
        "deployster.service": SVC,
        "deployster.version": "v1",
        "deployster.timestamp": T1,
        "deployster.instance": u.instance,
      });
      expect(c.HostConfig.Privileged).toBe(false);
      expect(c.HostConfig.PortBindings!["3000/tcp"]![0]!.HostIp).toBe("127.0.0.1");
    }
  });

  test("units list exactly that service; containers deployster did not create are ignored", async () => {
    expect((await s.call("POST", `/v1/services/not${SVC}/deploys`, { deploy: { version: "v1" } })).status).toBe(201);
    await settled(s, `not${SVC}`, "v1");
    // a container claiming the service label but not created by deployster serve
    await createContainer(docker, {
      Image: "deployster-fixture/busybox:latest",
      Cmd: ["true"],
      Labels: { "deployster.test": "server", [scope.fileLabel.split("=")[0]!]: scope.fileLabel.split("=")[1]!, "deployster.service": SVC, "deployster.version": "v9", "deployster.timestamp": T1, "deployster.instance": "1" },
    });
    const us = await units(s, SVC);
    expect(us.every((u) => u.service === SVC && u.version === "v1")).toBe(true);
    expect(us.length).toBe(2);
    expect((await units(s, `not${SVC}`)).length).toBe(1);
  });

  test("default instance count: as many as the single previous version", async () => {
    expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v2", timestamp: T2 } })).status).toBe(201);
    const rec = await settled(s, SVC, "v2");
    expect(rec.instance_count).toBe(2);
    expect(rec.state).toBe("live");
    // both versions now run (no destroy_previous)
    expect((await units(s, SVC)).map((u) => u.version).sort()).toEqual(["v1", "v1", "v2", "v2"]);
  });

  test("400: too many versions (exact message)", async () => {
    const r = await s.json("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "slow", destroy_previous: true } });
    expect(r.status).toBe(400);
    expect(r.res.headers.get("content-type")).toBe("application/json");
    expect(r.body).toEqual({ description: TOO_MANY_VERSIONS, error: "Bad Request" });
    expect(r.body.description).toBe(
      "Too many versions are running.  Destroying previous units is not supported when more than one version is currently running.",
    );
  });

  test("DELETE by version and timestamp: only that deploy; 204 even when nothing matched", async () => {
    const none = await s.call("DELETE", `/v1/services/${SVC}/deploys/v7`);
    expect(none.status).toBe(204);
    expect(await none.text()).toBe("");
    expect((await s.call("DELETE", `/v1/services/${SVC}/deploys/v2?timestamp=2015.03.02-00.00.00`)).status).toBe(204);
    expect((await units(s, SVC)).length).toBe(4);
    expect((await s.call("DELETE", `/v1/services/${SVC}/deploys/v2?timestamp=${T2}`)).status).toBe(204);
    const left = await units(s, SVC);
    expect(left.map((u) => u.version)).toEqual(["v1", "v1"]);
    expect((await deployRecord(s, SVC, "v2")).state).toBe("destroyed");
  });

  test("400: a greater number of instances than specified (exact message)", async () => {
    const r = await s.json("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v2", destroy_previous: true, instance_count: 1 } });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ description: TOO_MANY_INSTANCES, error: "Bad Request" });
  });

  test("409 while a rollout of the service is in progress; the same version:timestamp twice → 409", async () => {
    const first = await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "slow", destroy_previous: true } });
    expect(first.status).toBe(201);
    const second = await s.json("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v2", destroy_previous: true } });
    expect(second.status).toBe(409);
    expect(second.body.error).toBe("Conflict");
    expect(second.body.description).toContain("already in progress");
    // units meanwhile: the new instances are loaded, not launched
    const during = await units(s, SVC);
    expect(during.filter((u) => u.version === "slow").every((u) => u.current_state === "loaded")).toBe(true);
    const rec = await settled(s, SVC, "slow");
    expect(rec.state).toBe("live");
    expect((await units(s, SVC)).map((u) => `${u.version}:${u.current_state}`)).toEqual(["slow:launched", "slow:launched"]);
    const again = await s.json("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "slow", timestamp: rec.timestamp } });
    expect(again.status).toBe(409);
  }, 60_000);

  test("DELETE all timestamps of a version", async () => {
    expect((await s.call("DELETE", `/v1/services/${SVC}/deploys/slow`)).status).toBe(204);
    expect(await units(s, SVC)).toEqual([]);
    expect((await s.call("DELETE", `/v1/services/not${SVC}/deploys/v1`)).status).toBe(204);
  });
});

describe("input handling (decision 10)", () => {
  test("a {} deploy body, malformed JSON and missing fields → 400 with the reason", async () => {
    const cases: [unknown, string][] = [
      ["{}", '"deploy" object'],
      ["", '"deploy" object'],
      ["{not json", "not valid JSON"],
      [{ deploy: {} }, '"deploy.version" is required.'],
      [{ deploy: { version: "" } }, '"deploy.version" is required.'],
      [{ deploy: { version: "v1", instance_count: -1 } }, "instance_count"],
      [{ deploy: { version: "v1", timestamp: "2015-03-02" } }, "YYYY.MM.DD-hh.mm.ss"],
      [{ deploy: { version: "../../etc" } }, "Invalid deploy.version"],
    ];
    for (const [body, reason] of cases) {
      const r = await s.json("POST", `/v1/services/${SVC}/deploys`, body);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe("Bad Request");
      expect(r.body.description).toContain(reason);
    }
  });

  test("names and timestamps in paths and queries are validated", async () => {
    expect((await s.json("GET", "/v1/services/-bad/units")).status).toBe(400);
    expect((await s.json("GET", "/v1/services/a%20b/units")).status).toBe(400);
    expect((await s.json("GET", "/v1/services/a%2Fb/units")).status).toBe(400);
    expect((await s.json("GET", `/v1/services/${"x".repeat(129)}/units`)).status).toBe(400);
    expect((await s.json("DELETE", `/v1/services/${SVC}/deploys/v1;rm`)).status).toBe(400);
    expect((await s.json("DELETE", `/v1/services/${SVC}/deploys/v1?timestamp=yesterday`)).status).toBe(400);
    expect((await s.json("GET", "/v1/services/%E0%A4%A/units")).status).toBe(400);
  });

  test("request bodies are size limited (413)", async () => {
    const big = JSON.stringify({ deploy: { version: "v1", pad: "x".repeat(100_000) } });
    expect((await s.json("POST", `/v1/services/${SVC}/deploys`, big)).status).toBe(413);
    const task = JSON.stringify({ task: { version: "v1", command: "x".repeat(200_000) } });
    expect((await s.json("POST", `/v1/services/${SVC}/tasks`, task)).status).toBe(413);
    // authentication comes first even for a body far over any limit
    const huge = await s.call("POST", `/v1/services/${SVC}/deploys`, "x".repeat(3_000_000), { auth: null });
    expect(huge.status).toBe(401);
    expect(huge.headers.get("www-authenticate")).toBe('Basic realm="Deployster"');
  });

  test("fuzz: hundreds of bad bodies and names, each a 4xx, the server survives", async () => {
    const rnd = mulberry32(42);
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const junkValues: unknown[] = [null, true, 0, -1, 1.5, 1e308, "", " ", "a b", "../x", "x".repeat(300), [], [1], {}, { a: 1 }, "\u0000", "é", "2015.03.02-00.21.42;", "v1\nv2"];
    const bodies: string[] = ["", "null", "[]", "{", "}", '{"deploy":', '{"deploy":null}', '"deploy"', "\u0000\u0001", "{\"deploy\":{\"version\":\"v1\"}}}"];
    for (let i = 0; i < 150; i++) {
      const d: Record<string, unknown> = {};
      for (const k of ["version", "destroy_previous", "timestamp", "instance_count"]) if (rnd() < 0.7) d[k] = pick(junkValues);
      if (typeof d.version === "string" && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(d.version)) d.version = "../x";
      bodies.push(JSON.stringify(rnd() < 0.8 ? { deploy: d } : { task: d, command: pick(junkValues) }));
      bodies.push(Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256))).toString("latin1"));
    }
    const names = ["-x", ".x", "x y", "x%00", "%2e%2e", "x".repeat(200), "%C3%A9", "a:b", "a%3Bb", "%2F"];
    let checked = 0;
    for (const body of bodies) {
      const path = pick([`/v1/services/${SVC}/deploys`, `/v1/services/${SVC}/tasks`, `/v1/services/${pick(names)}/deploys`, `/v1/services/${pick(names)}/tasks`]);
      const res = await s.call("POST", path, body, { headers: { "content-type": pick(["application/json", "text/plain", "application/x-www-form-urlencoded"]) } });
      await res.arrayBuffer();
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      checked++;
    }
    for (const name of names) {
      for (const [m, p] of [["GET", `/v1/services/${name}/units`], ["DELETE", `/v1/services/${SVC}/deploys/${name}`], ["GET", `/v1/services/${SVC}/deploys/${name}`], ["POST", `/v1/services/${name}/rollback`]]) {
        const res = await s.call(m!, p!);
        await res.arrayBuffer();
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
    expect(s.proc.exitCode).toBeNull();
    expect((await s.call("GET", "/v1/version")).status).toBe(200);
    expect(await units(s, SVC)).toEqual([]);
  }, 60_000);
});

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// keep the import used when the file is trimmed
void waitFor;
