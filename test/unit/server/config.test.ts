import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseListen, resolveServeConfig } from "../../../src/server/config";
import { buildRoute, CaddyRouter, proxyId, routeId } from "../../../src/server/router";

describe("serve config", () => {
  test("--listen: HOST:PORT, :PORT, [v6]:PORT", () => {
    expect(parseListen("0.0.0.0:3000")).toEqual({ hostname: "0.0.0.0", port: 3000 });
    expect(parseListen(":3000")).toEqual({ hostname: "0.0.0.0", port: 3000 });
    expect(parseListen("[::1]:8080")).toEqual({ hostname: "::1", port: 8080 });
    for (const bad of ["3000", "host", "host:99999", ":", "a:b"]) expect(() => parseListen(bad)).toThrow(/--listen/);
  });
  test("defaults; image prefix from --registry-url else --docker-hub-username", () => {
    const c = resolveServeConfig({}, { DEPLOYSTER_PASSWORD: "pw" });
    expect(c).toMatchObject({ hostname: "0.0.0.0", port: 3000, imagePrefix: "deployster", username: "deployster", password: "pw", passwordGenerated: false });
    expect(c.healthTimeoutMs).toBe(300_000);
    expect(c.taskTimeoutMs).toBe(600_000);
    expect(c.containerPort).toBe(3000);
    expect(c.publishHost).toBe("127.0.0.1");
    expect(resolveServeConfig({ registryUrl: "127.0.0.1:5000", dockerHubUsername: "me" }, { DEPLOYSTER_PASSWORD: "x" }).imagePrefix).toBe("127.0.0.1:5000");
    expect(resolveServeConfig({ dockerHubUsername: "me" }, { DEPLOYSTER_PASSWORD: "x" }).imagePrefix).toBe("me");
  });
  test("password: --password wins, then DEPLOYSTER_PASSWORD, else random (never the old public default)", () => {
    expect(resolveServeConfig({ password: "a" }, { DEPLOYSTER_PASSWORD: "b" }).password).toBe("a");
    const r1 = resolveServeConfig({}, {});
    const r2 = resolveServeConfig({}, {});
    expect(r1.passwordGenerated).toBe(true);
    expect(r1.password).not.toBe("mmmhm");
    expect(r1.password.length).toBeGreaterThanOrEqual(20);
    expect(r1.password).not.toBe(r2.password);
    expect(() => resolveServeConfig({ password: "" }, {})).toThrow(/must not be empty/);
  });
  test("router flags go together; durations and ports are checked", () => {
    const env = { DEPLOYSTER_PASSWORD: "x" };
    expect(() => resolveServeConfig({ caddyAdmin: "http://127.0.0.1:2019" }, env)).toThrow(/needs --domain/);
    expect(() => resolveServeConfig({ domain: "example.test" }, env)).toThrow(/needs --caddy-admin/);
    expect(() => resolveServeConfig({ caddyAdmin: "ftp://x", domain: "d" }, env)).toThrow(/http/);
    expect(() => resolveServeConfig({ healthTimeout: "5" }, env)).toThrow(/--health-timeout/);
    expect(() => resolveServeConfig({ taskTimeout: "soon" }, env)).toThrow(/--task-timeout/);
    expect(() => resolveServeConfig({ containerPort: "http" }, env)).toThrow(/--container-port/);
    expect(() => resolveServeConfig({ healthPath: "health" }, env)).toThrow(/--health-path/);
    expect(() => resolveServeConfig({ publishHost: "localhost" }, env)).toThrow(/--publish-host/);
    expect(resolveServeConfig({ taskTimeout: "2s", containerPort: "8080" }, env)).toMatchObject({ taskTimeoutMs: 2000, containerPort: 8080 });
  });
  test("TLS: --cert without --key, unreadable or bad files are start-up errors", () => {
    const env = { DEPLOYSTER_PASSWORD: "x" };
    const dir = mkdtempSync(join(tmpdir(), "srv-config-"));
    const bad = join(dir, "bad.pem");
    writeFileSync(bad, "not a certificate");
    expect(() => resolveServeConfig({ cert: bad }, env)).toThrow(/--cert needs --key/);
    expect(() => resolveServeConfig({ key: bad }, env)).toThrow(/--key needs --cert/);
    expect(() => resolveServeConfig({ cert: join(dir, "missing.pem"), key: bad }, env)).toThrow(/cannot read/);
    expect(() => resolveServeConfig({ cert: bad, key: bad }, env)).toThrow(/not a PEM certificate/);
  });
});

describe("Caddy router", () => {
  test("the route: host match, stable @ids, retrying load balancer", () => {
    const r = buildRoute("app", "example.test", ["127.0.0.1:1"]) as any;
    expect(r["@id"]).toBe(routeId("app", "example.test"));
    expect(r.match).toEqual([{ host: ["app.example.test"] }]);
    expect(r.handle[0]["@id"]).toBe(proxyId("app", "example.test"));
    expect(r.handle[0].upstreams).toEqual([{ dial: "127.0.0.1:1" }]);
    expect(r.handle[0].load_balancing.try_duration).toBeDefined();
    expect(r.terminal).toBe(true);
  });
  test("add/remove read-modify-write the upstream list through the @id", async () => {
    let upstreams: { dial: string }[] | undefined;
    const calls: string[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      const path = new URL(url).pathname;
      calls.push(`${init.method} ${path}`);
      const json = (v: unknown, status = 200) => new Response(v === undefined ? "" : JSON.stringify(v), { status });
      if (path.endsWith("/upstreams")) {
        if (upstreams === undefined) return json({ error: "unknown object ID" }, 404);
        if (init.method === "GET") return json(upstreams);
        upstreams = JSON.parse(String(init.body));
        return json(undefined);
      }
      if (path === "/config/apps/http/servers") return json({ srv0: { routes: [] } });
      if (path === "/config/apps/http/servers/srv0/routes" && init.method === "POST") {
        upstreams = JSON.parse(String(init.body)).handle[0].upstreams;
        return json(undefined);
      }
      if (path.startsWith("/id/deployster-route-") && init.method === "DELETE") {
        upstreams = undefined;
        return json(undefined);
      }
      return json({ error: "unexpected" }, 500);
    }) as unknown as typeof fetch;
    const r = new CaddyRouter({ adminUrl: "http://caddy", domain: "d.test", fetch: fakeFetch });
    await r.addUpstream("app", "127.0.0.1:1");
    await r.addUpstream("app", "127.0.0.1:2");
    await r.addUpstream("app", "127.0.0.1:2");
    expect(await r.upstreams("app")).toEqual(["127.0.0.1:1", "127.0.0.1:2"]);
    await r.removeUpstream("app", "127.0.0.1:1");
    expect(await r.upstreams("app")).toEqual(["127.0.0.1:2"]);
    await r.removeUpstream("app", "127.0.0.1:2");
    expect(upstreams).toBeUndefined();
    expect(calls).toContain("DELETE /id/deployster-route-app.d.test");
  });
});
