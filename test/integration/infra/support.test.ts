// The test support's real daemons: docker-registry (with and without htpasswd auth) seen by
// the engine through the docker CLI, and Caddy's admin API routing to a Bun upstream.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCaddy, type Caddy } from "../../support/caddy";
import { startRegistry, type Registry } from "../../support/registry";

const BASE_IMAGE = "deployster-fixture/busybox:latest";
const TIMEOUT = 120_000;

/** Runs the docker CLI; fails the test with its output when `expectOk` and it fails. */
async function docker(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}) {
  const proc = Bun.spawn(["docker", ...args], {
    env: { ...process.env, ...opts.env },
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { exitCode, stdout, stderr, output: `docker ${args.join(" ")} (exit ${exitCode}):\n${stdout}${stderr}` };
}

async function dockerOk(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}) {
  const res = await docker(args, opts);
  if (res.exitCode !== 0) throw new Error(res.output);
  return res;
}

const taggedRefs = new Set<string>();
async function tag(ref: string): Promise<void> {
  await dockerOk(["tag", BASE_IMAGE, ref]);
  taggedRefs.add(ref);
}

beforeAll(async () => {
  // Fails (not skips) without an engine or without the base fixture image.
  const res = await docker(["image", "inspect", "--format", "{{.Id}}", BASE_IMAGE]);
  if (res.exitCode !== 0) throw new Error(`needs the Docker engine and ${BASE_IMAGE} (scripts/setup.sh):\n${res.output}`);
});

afterAll(async () => {
  for (const ref of taggedRefs) await docker(["rmi", ref]);
  const left = [];
  for (const ref of taggedRefs) if ((await docker(["image", "inspect", ref])).exitCode === 0) left.push(ref);
  expect(left).toEqual([]);
});

describe("registry (docker-registry on 127.0.0.1)", () => {
  let open: Registry;
  let authed: Registry;
  const creds = { user: "infra-user", password: "infra-pass-42" };
  let dockerConfig: string;

  beforeAll(async () => {
    [open, authed] = await Promise.all([startRegistry(), startRegistry({ htpasswd: creds })]);
    dockerConfig = mkdtempSync(join(tmpdir(), "deployster-infra-dockercfg-"));
  }, TIMEOUT);

  afterAll(async () => {
    await Promise.all([open?.stop(), authed?.stop()]);
    if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true });
  });

  test("host is 127.0.0.1:PORT and GET /v2/ answers 200 without auth", async () => {
    expect(open.host).toMatch(/^127\.0\.0\.1:\d+$/);
    const res = await fetch(`http://${open.host}/v2/`);
    expect(res.status).toBe(200);
  });

  test("accepts a push and a pull of the base fixture image", async () => {
    const ref = `${open.host}/infra/busybox:push-pull`;
    await tag(ref);
    await dockerOk(["push", ref]);
    const tags = await (await fetch(`http://${open.host}/v2/infra/busybox/tags/list`)).json();
    expect(tags).toEqual({ name: "infra/busybox", tags: ["push-pull"] });

    await dockerOk(["rmi", ref]);
    expect((await docker(["image", "inspect", ref])).exitCode).not.toBe(0);
    await dockerOk(["pull", ref]);
    const pulled = await dockerOk(["image", "inspect", "--format", "{{.Id}}", ref]);
    const base = await dockerOk(["image", "inspect", "--format", "{{.Id}}", BASE_IMAGE]);
    expect(pulled.stdout.trim()).toBe(base.stdout.trim());
  }, TIMEOUT);

  test("with htpasswd: anonymous /v2/ gets 401, the credentials get 200, bad ones 401", async () => {
    const anon = await fetch(`http://${authed.host}/v2/`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate") ?? "").toContain("Basic");

    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });
    expect((await fetch(`http://${authed.host}/v2/`, { headers: basic(creds.user, creds.password) })).status).toBe(200);
    expect((await fetch(`http://${authed.host}/v2/`, { headers: basic(creds.user, "wrong") })).status).toBe(401);
  });

  test("with htpasswd: the engine pushes and pulls only after a login", async () => {
    // A private DOCKER_CONFIG so that the login never touches ~/.docker/config.json.
    const env = { DOCKER_CONFIG: dockerConfig };
    const ref = `${authed.host}/infra/busybox:auth`;
    await tag(ref);

    const anonymous = await docker(["push", ref], { env });
    expect(anonymous.exitCode).not.toBe(0);
    expect(anonymous.stderr + anonymous.stdout).toMatch(/no basic auth credentials|unauthorized/i);

    await dockerOk(["login", "--username", creds.user, "--password-stdin", authed.host], { env, stdin: creds.password });
    await dockerOk(["push", ref], { env });
    await dockerOk(["rmi", ref]);
    await dockerOk(["pull", ref], { env });
    await dockerOk(["logout", authed.host], { env });
  }, TIMEOUT);
});

describe("caddy (admin API on 127.0.0.1)", () => {
  let caddy: Caddy;
  let upstream: ReturnType<typeof Bun.serve>;

  beforeAll(async () => {
    caddy = await startCaddy();
    upstream = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => new Response(`upstream says hi: ${new URL(req.url).pathname} via ${req.headers.get("host")}`),
    });
  }, TIMEOUT);

  afterAll(async () => {
    upstream?.stop(true);
    await caddy?.stop();
  });

  test("GET /config/ returns the documented shape", async () => {
    expect(caddy.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${caddy.adminUrl}/config/`);
    expect(res.status).toBe(200);
    const config: any = await res.json();
    expect(config.admin.listen).toBe(caddy.adminUrl.slice("http://".length));
    expect(config.apps.http.servers.srv0).toEqual({
      listen: [`127.0.0.1:${caddy.httpPort}`],
      routes: [],
      automatic_https: { disable: true },
    });
  });

  test("a route added through the admin API proxies to a Bun upstream", async () => {
    const route = {
      match: [{ host: ["app.infra.test"] }],
      handle: [{ handler: "reverse_proxy", upstreams: [{ dial: `127.0.0.1:${upstream.port}` }] }],
    };
    const add = await fetch(`${caddy.adminUrl}/config/apps/http/servers/srv0/routes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(route),
    });
    expect(add.status).toBe(200);

    const routed = await fetch(`http://127.0.0.1:${caddy.httpPort}/hello`, { headers: { host: "app.infra.test" } });
    expect(routed.status).toBe(200);
    expect(await routed.text()).toBe("upstream says hi: /hello via app.infra.test");

    // Other hosts match no route: Caddy's empty 200, not the upstream.
    const other = await fetch(`http://127.0.0.1:${caddy.httpPort}/hello`, { headers: { host: "other.infra.test" } });
    expect(await other.text()).toBe("");

    const routes = await (await fetch(`${caddy.adminUrl}/config/apps/http/servers/srv0/routes`)).json();
    expect(routes).toHaveLength(1);
  });
});
