import type { ContainerInspect } from "../../../src/docker/types";
import { describe, expect, test } from "bun:test";
import { buildContainerCreateBody } from "../../../src/resource-types/builtin/container/body";
import { decideReplaceOrder, planContainer } from "../../../src/resource-types/builtin/container/plan";
import { judgeReadiness } from "../../../src/resource-types/builtin/container/ready";
import {
  normalizeContainerConfig,
  normalizeContainerOptions,
  parseMount,
  parsePort,
  formatPort,
} from "../../../src/resource-types/builtin/container/spec";
import { extractContainerState } from "../../../src/resource-types/builtin/container/state";

const WS = "/work/space";
const spec = (config: Record<string, unknown>) => normalizeContainerConfig("web", config, WS);
const options = (config: Record<string, unknown> = {}) => normalizeContainerOptions(config);

/** A running container's inspect as the engine would report it after creating `config`. */
function inspectFor(config: Record<string, unknown>, over: { imageId?: string; state?: Record<string, unknown>; networks?: Record<string, unknown> } = {}) {
  const s = spec(config);
  const { body } = buildContainerCreateBody(s);
  return {
    Id: "c0ffee0000000000000000000000000000000000000000000000000000000000",
    Name: `/${s.name}`,
    Image: over.imageId ?? "sha256:1111111111111111",
    Config: { Image: s.image, Labels: body.Labels },
    State: { Status: "running", Running: true, ...over.state },
    NetworkSettings: {
      IPAddress: "172.17.0.5",
      Networks: over.networks ?? { bridge: { IPAddress: "172.17.0.5", Gateway: "172.17.0.1", Aliases: null } },
      Ports: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "32768" }] },
    },
  } as unknown as ContainerInspect; // the fields the plan reads, not a whole inspect
}
const image = (id = "sha256:1111111111111111") => ({ Id: id });

describe("normalizeContainerConfig", () => {
  test("defaults are filled in, so omitted and default values hash the same", () => {
    const a = spec({ image: "web:1" });
    expect(a).toMatchObject({ name: "web", image: "web:1", env: {}, ports: [], mounts: [], networks: [], restart: "no" });
    const b = spec({ image: "web:1", name: "web", restart: "no", env: {}, labels: {} });
    expect(b).toEqual(a);
  });
  test("env as list or map, scalar values as strings, key order irrelevant", () => {
    const a = spec({ image: "x", env: { B: 2, A: true } });
    const b = spec({ image: "x", env: ["A=true", "B=2"] });
    expect(a.env).toEqual({ A: "true", B: "2" });
    expect(b).toEqual(a);
  });
  test("port forms", () => {
    expect(parsePort("127.0.0.1:8080:80")).toEqual({ container_port: 80, protocol: "tcp", host_ip: "127.0.0.1", host_port: 8080 });
    expect(parsePort("127.0.0.1::80/udp")).toEqual({ container_port: 80, protocol: "udp", host_ip: "127.0.0.1", host_port: null });
    expect(parsePort("8080:80")).toEqual({ container_port: 80, protocol: "tcp", host_ip: "", host_port: 8080 });
    expect(parsePort(80)).toEqual({ container_port: 80, protocol: "tcp", host_ip: "", host_port: null });
    expect(parsePort({ target: "80", published: "", host_ip: "127.0.0.1" })).toEqual(parsePort("127.0.0.1::80"));
    expect(formatPort(parsePort("[::1]:81:80"))).toBe("[::1]:81:80/tcp");
  });
  test("mount forms; relative binds resolve against the workspace", () => {
    expect(parseMount("data:/data:ro", WS)).toEqual({ type: "volume", source: "data", target: "/data", read_only: true });
    expect(parseMount("./html:/www", WS)).toEqual({ type: "bind", source: "/work/space/html", target: "/www", read_only: false });
    expect(parseMount({ type: "tmpfs", target: "/tmp" }, WS)).toEqual({ type: "tmpfs", source: "", target: "/tmp", read_only: false });
    expect(() => parseMount({ type: "volume", target: "/x" }, WS)).toThrow(/needs a source/);
  });
  test("ports and mounts order does not matter; network order does (the first gives state.ip)", () => {
    expect(spec({ image: "x", ports: ["81", "80"], mounts: ["b:/b", "a:/a"] })).toEqual(spec({ image: "x", ports: ["80", "81"], mounts: ["a:/a", "b:/b"] }));
    expect(spec({ image: "x", networks: ["a", "b"] })).not.toEqual(spec({ image: "x", networks: ["b", "a"] }));
    expect(spec({ image: "x", networks: ["a"] })).toEqual(spec({ image: "x", networks: { a: null } }));
  });
  test("secret_env must name env keys; reserved labels are refused", () => {
    expect(() => spec({ image: "x", env: {}, secret_env: ["PW"] })).toThrow(/secret_env: 'PW'/);
    expect(() => spec({ image: "x", labels: { "deployster.config-hash": "x" } })).toThrow(/reserved/);
  });
  test("health_timeout and update_order are options, not part of the container", () => {
    expect(spec({ image: "x", health_timeout: "5s", update_order: "stop-first" })).toEqual(spec({ image: "x" }));
    expect(options({ health_timeout: "5s" })).toEqual({ health_timeout_ms: 5000, update_order: "start-first" });
  });
});

describe("buildContainerCreateBody", () => {
  test("maps the spec to the engine's create body", () => {
    const s = spec({
      image: "web:1",
      command: "sh -c 'echo hi'",
      env: { A: "1" },
      ports: ["127.0.0.1::80"],
      mounts: ["data:/data:ro"],
      networks: { app: { aliases: ["www"] }, other: null },
      labels: { team: "x" },
      restart: "on-failure:3",
      healthcheck: { test: "wget -q -O- http://127.0.0.1/health", interval: "1s", retries: 3 },
      user: "nobody",
      working_dir: "/www",
      stop_timeout: 2,
    });
    const { body, extraNetworks } = buildContainerCreateBody(s);
    expect(body).toMatchObject({
      Image: "web:1",
      Cmd: ["sh", "-c", "echo hi"],
      Env: ["A=1"],
      User: "nobody",
      WorkingDir: "/www",
      StopTimeout: 2,
      ExposedPorts: { "80/tcp": {} },
      Healthcheck: { Test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1/health"], Interval: 1_000_000_000, Retries: 3 },
      HostConfig: {
        PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
        Mounts: [{ Type: "volume", Source: "data", Target: "/data", ReadOnly: true }],
        RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
        NetworkMode: "app",
      },
      NetworkingConfig: { EndpointsConfig: { app: { Aliases: ["www", "web"] } } },
    });
    const labels = body.Labels as Record<string, string>;
    expect(labels).toMatchObject({ team: "x", "deployster.managed": "true", "deployster.type": "deployster/docker-container", "deployster.name": "web" });
    expect(labels["deployster.config-hash"]).toMatch(/^[0-9a-f]{64}$/);
    expect(extraNetworks).toEqual([{ name: "other", aliases: ["web"] }]);
  });
  test("secret values are hashed in the stored config label", () => {
    const { body } = buildContainerCreateBody(spec({ image: "x", env: { PW: "hunter2hunter2" }, secret_env: ["PW"] }));
    const labels = body.Labels as Record<string, string>;
    expect(labels["deployster.config"]).not.toContain("hunter2");
    expect(JSON.parse(labels["deployster.config"]!).env.PW).toMatch(/^secret:[0-9a-f]{16}$/);
  });
  test("default bridge: no aliases, no NetworkingConfig", () => {
    const { body } = buildContainerCreateBody(spec({ image: "x" }));
    expect((body.HostConfig as any).NetworkMode).toBe("bridge");
    expect(body.NetworkingConfig).toBeUndefined();
  });
});

describe("planContainer", () => {
  const cfg = { image: "web:1", env: { LOG_LEVEL: "info" }, ports: ["127.0.0.1::80"] };

  test("absent → create", () => {
    const r = planContainer(spec(cfg), options(), { container: null, image: image() });
    expect(r).toEqual({ status: "STALE", actions: [{ name: "create", description: "create and start container web (image web:1)" }] });
    const missing = planContainer(spec(cfg), options(), { container: null, image: null });
    expect((missing as any).actions[0].description).toContain("image will be pulled");
  });
  test("unchanged and running → VALID with the state dependents use", () => {
    const r = planContainer(spec(cfg), options(), { container: inspectFor(cfg), image: image() });
    expect(r.status).toBe("VALID");
    expect((r as any).state).toMatchObject({ name: "web", ip: "172.17.0.5", host_port: 32768, running: true });
  });
  test("changed fields are listed; start-first when no fixed host port", () => {
    const next = { ...cfg, image: "web:2", env: { LOG_LEVEL: "debug" } };
    const r = planContainer(spec(next), options(), { container: inspectFor(cfg), image: image("sha256:2222222222222222") }) as any;
    expect(r.status).toBe("STALE");
    expect(r.staleState.id).toStartWith("c0ffee");
    expect(r.actions).toEqual([
      { name: "recreate", description: "recreate (start-first): env.LOG_LEVEL: info → debug; image: web:1 → web:2", args: ["start-first"] },
    ]);
  });
  test("a fixed host port forces stop-first, and the plan says why", () => {
    const fixed = { ...cfg, ports: ["127.0.0.1:8080:80"] };
    const r = planContainer(spec({ ...fixed, env: { LOG_LEVEL: "debug" } }), options(), { container: inspectFor(fixed), image: image() }) as any;
    expect(r.actions[0].description).toBe("recreate (stop-first, fixed host port 127.0.0.1:8080:80/tcp): env.LOG_LEVEL: info → debug");
    expect(r.actions[0].args).toEqual(["stop-first"]);
    expect(decideReplaceOrder(spec(cfg), options({ update_order: "stop-first" }))).toEqual({ order: "stop-first", reason: "update_order: stop-first" });
  });
  test("the tag now points at another image → recreate: image changed", () => {
    const r = planContainer(spec(cfg), options(), { container: inspectFor(cfg), image: image("sha256:2222222222222222") }) as any;
    expect(r.actions[0].description).toBe("recreate (start-first): image changed 111111111111→222222222222");
  });
  test("a missing local image is not drift (the running container keeps its image)", () => {
    expect(planContainer(spec(cfg), options(), { container: inspectFor(cfg), image: null }).status).toBe("VALID");
  });
  test("secret values never appear: *** on both sides, marked changed", () => {
    const base = { image: "x", env: { PW: "old-secret-1", A: "1" }, secret_env: ["PW"] };
    const r = planContainer(spec({ ...base, env: { PW: "new-secret-2", A: "1" } }), options(), { container: inspectFor(base), image: null }) as any;
    expect(r.actions[0].description).toBe("recreate (start-first): env.PW (changed): *** → ***");
    expect(JSON.stringify(r)).not.toContain("secret-");
  });
  test("stopped → start; paused → unpause; dead → recreate", () => {
    const stopped = planContainer(spec(cfg), options(), { container: inspectFor(cfg, { state: { Status: "exited", Running: false, ExitCode: 137 } }), image: image() }) as any;
    expect(stopped.actions).toEqual([{ name: "start", description: "start container web (exited with code 137)" }]);
    const paused = planContainer(spec(cfg), options(), { container: inspectFor(cfg, { state: { Status: "paused", Paused: true } }), image: image() }) as any;
    expect(paused.actions[0].name).toBe("unpause");
    const dead = planContainer(spec(cfg), options(), { container: inspectFor(cfg, { state: { Status: "dead", Running: false } }), image: image() }) as any;
    expect(dead.actions[0].description).toContain("container is dead");
  });
  test("containers left by an interrupted replacement are planned for cleanup", () => {
    const facts = { container: inspectFor(cfg), image: image(), leftovers: ["web-old-abc123"] };
    expect((planContainer(spec(cfg), options(), facts) as any).actions).toEqual([
      { name: "cleanup", description: "remove web-old-abc123 (left by an interrupted replacement)" },
    ]);
    const stopped = { ...facts, container: inspectFor(cfg, { state: { Status: "exited", Running: false, ExitCode: 0 } }) };
    expect((planContainer(spec(cfg), options(), stopped) as any).actions.map((a: any) => a.name)).toEqual(["cleanup", "start"]);
  });
  test("a disconnected network is drift", () => {
    const net = { ...cfg, networks: ["app"] };
    const r = planContainer(spec(net), options(), { container: inspectFor(net), image: image() }) as any;
    expect(r.actions[0].description).toContain("network app not connected");
  });
  test("a same-named container deployster did not create is an error, never replaced", () => {
    const foreign = inspectFor(cfg);
    foreign.Config.Labels = {} as any;
    expect(() => planContainer(spec(cfg), options(), { container: foreign, image: image() })).toThrow(/not managed by deployster/);
  });
});

describe("extractContainerState", () => {
  test("ip per network (first configured one as ip), ports, short-id alias dropped", () => {
    const st = extractContainerState(
      {
        Id: "abcdef1234567890",
        Name: "/web",
        Image: "sha256:1",
        Config: { Image: "web:1" },
        State: { Status: "running", Running: true, Health: { Status: "healthy" } },
        NetworkSettings: {
          IPAddress: "",
          Networks: {
            b: { IPAddress: "10.0.1.2", Gateway: "10.0.1.1", Aliases: ["abcdef123456", "web"] },
            a: { IPAddress: "10.0.0.2", Gateway: "10.0.0.1", Aliases: null },
          },
          Ports: { "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "32768" }, { HostIp: "::", HostPort: "32768" }], "81/tcp": null },
        },
      } as unknown as ContainerInspect,
      "b",
    );
    expect(st).toEqual({
      id: "abcdef1234567890",
      name: "web",
      image: "web:1",
      image_id: "sha256:1",
      status: "running",
      running: true,
      health: "healthy",
      ip: "10.0.1.2",
      networks: {
        a: { ip: "10.0.0.2", gateway: "10.0.0.1", aliases: [] },
        b: { ip: "10.0.1.2", gateway: "10.0.1.1", aliases: ["web"] },
      },
      ports: { "80/tcp": [{ host_ip: "0.0.0.0", host_port: 32768 }, { host_ip: "::", host_port: 32768 }] },
      host_port: 32768,
    });
  });
});

describe("judgeReadiness", () => {
  test("healthy / starting / unhealthy / exited / no healthcheck", () => {
    expect(judgeReadiness({ State: { Running: true, Health: { Status: "healthy" } } }).verdict).toBe("ready");
    expect(judgeReadiness({ State: { Running: true, Health: { Status: "starting" } } }).verdict).toBe("waiting");
    const bad = judgeReadiness({ State: { Running: true, Health: { Status: "unhealthy", FailingStreak: 3, Log: [{ Output: "404 Not Found\n" }] } } });
    expect(bad).toEqual({ verdict: "failed", reason: "its healthcheck failed 3 times (last output: 404 Not Found)" });
    expect(judgeReadiness({ State: { Running: false, ExitCode: 2 } })).toEqual({ verdict: "failed", reason: "it exited with code 2" });
    expect(judgeReadiness({ State: { Running: true } }).verdict).toBe("ready");
    expect(judgeReadiness(null).verdict).toBe("failed");
  });
  test("without a healthcheck: a minimum running time, and a restart is a failure", () => {
    const running = { State: { Running: true, StartedAt: "t1" }, RestartCount: 0 };
    expect(judgeReadiness(running, { minRunningMs: 1000, runningForMs: 300, firstStartedAt: "t1" }).verdict).toBe("waiting");
    expect(judgeReadiness(running, { minRunningMs: 1000, runningForMs: 1200, firstStartedAt: "t1" }).verdict).toBe("ready");
    const restarted = { State: { Running: true, StartedAt: "t2", ExitCode: 1 }, RestartCount: 1 };
    expect(judgeReadiness(restarted, { minRunningMs: 1000, runningForMs: 1200, firstStartedAt: "t1" })).toEqual({
      verdict: "failed",
      reason: "it exited and was restarted (restart count 1)",
    });
  });
});
