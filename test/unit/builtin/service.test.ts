import type { SwarmService } from "../../../src/docker/types";
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildServiceBody, LABEL_TASK_HASH } from "../../../src/resource-types/builtin/service/body";
import { planService } from "../../../src/resource-types/builtin/service/plan";
import { IMAGE_REFERENCE_PATTERN } from "../../../src/resource-types/builtin/service/schema";
import { normalizeServiceConfig, parseMemory } from "../../../src/resource-types/builtin/service/spec";
import { extractServiceState } from "../../../src/resource-types/builtin/service/state";
import { summarizeTasks, targetOf, type NodeInfo } from "../../../src/resource-types/builtin/service/tasks";
import { normalizeObjectConfig, planObject } from "../../../src/resource-types/builtin/secret/object";

const WS = "/work/space";
const DIGEST = `sha256:${"a".repeat(64)}`;
const DIGEST2 = `sha256:${"b".repeat(64)}`;
const spec = (config: Record<string, unknown>) => normalizeServiceConfig("web", config, WS);
const nodes = new Map<string, NodeInfo>([
  ["n1", { hostname: "node1", addr: "10.9.0.11" }],
  ["n2", { hostname: "node2", addr: "10.9.0.12" }],
]);

/** The service as Swarm reports it after creating `config` (image pinned to DIGEST). */
function serviceFor(config: Record<string, unknown>, over: { replicas?: number; update?: unknown } = {}) {
  const s = spec(config);
  const body = buildServiceBody(s, { image: `${s.image}@${DIGEST}`, secretIds: {}, configIds: {}, forceUpdate: 0 }) as any;
  if (over.replicas !== undefined) body.Mode = { Replicated: { Replicas: over.replicas } };
  return {
    ID: "svc1",
    Version: { Index: 10 },
    Spec: body,
    Endpoint: { VirtualIPs: [{ NetworkID: "net1", Addr: "10.0.1.5/24" }] },
    UpdateStatus: over.update as SwarmService["UpdateStatus"],
  } as SwarmService;
}

/** A running task of `service` on node `node` (slot `slot`), publishing 80 on `port`. */
function taskOf(service: any, slot: number, node: string, port: number, state = "running", desired = "running") {
  return {
    ID: `t${slot}${state}`,
    ServiceID: service.ID,
    Slot: slot,
    NodeID: node,
    DesiredState: desired,
    Spec: service.Spec.TaskTemplate,
    Status: {
      State: state,
      Timestamp: `2026-01-01T00:00:0${slot}Z`,
      Err: state === "failed" ? "task: non-zero exit (3)" : undefined,
      PortStatus: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: port, PublishMode: "host" }, { Protocol: "tcp", TargetPort: 80, PublishedPort: port, PublishMode: "host" }] },
    },
    NetworksAttachments: [{ Network: { ID: "net1", Spec: { Name: "app-net" } } }],
  };
}

const CONFIG = { image: "reg:5000/web:1", replicas: 2, ports: [80], networks: ["app-net"] };

describe("normalizeServiceConfig", () => {
  test("defaults: replicated ×1, host-mode ports, vip, start-first updates and rollbacks with rollback on failure", () => {
    const s = spec({ image: "web:1", ports: ["3000/udp", 80] });
    expect(s).toMatchObject({ name: "web", mode: "replicated", replicas: 1, endpoint_mode: "vip", env: {}, secrets: [] });
    expect(s.ports).toEqual([
      { target: 3000, published: null, protocol: "udp", mode: "host" },
      { target: 80, published: null, protocol: "tcp", mode: "host" },
    ]);
    expect(s.update).toEqual({ parallelism: 1, delay_ms: 0, order: "start-first", failure_action: "rollback", monitor_ms: 5000, max_failure_ratio: 0 });
    expect(s.rollback.order).toBe("start-first");
  });

  test("global services have no replicas; asking for both is an error", () => {
    expect(spec({ image: "w", mode: "global" }).replicas).toBeNull();
    expect(() => spec({ image: "w", mode: "global", replicas: 2 })).toThrow("config.replicas: a global service runs one task per node");
  });

  test("secret_env must name env keys; secret/config targets must be distinct; ingress needs vip", () => {
    expect(() => spec({ image: "w", env: { A: "1" }, secret_env: ["B"] })).toThrow("config.secret_env: 'B' is not a key of config.env");
    expect(() => spec({ image: "w", secrets: ["a", { source: "b", target: "a" }] })).toThrow("config.secrets: target 'a' is used twice");
    expect(() => spec({ image: "w", endpoint_mode: "dnsrr", ports: [{ target: 80, mode: "ingress" }] })).toThrow("ingress ports need endpoint_mode vip");
  });

  test("order-free lists are sorted and constraints normalised, so equal configs hash equal", () => {
    const a = spec({ image: "w", placement: { constraints: ["node.role == worker", "node.labels.x==1"] }, secrets: ["b", "a"] });
    const b = spec({ image: "w", placement: { constraints: ["node.labels.x==1", "node.role==worker"] }, secrets: ["a", "b"] });
    expect(a).toEqual(b);
    expect(a.placement.constraints).toEqual(["node.labels.x==1", "node.role==worker"]);
  });

  test("memory sizes use binary units", () => {
    expect(parseMemory("64m")).toBe(64 * 1024 * 1024);
    expect(parseMemory("1g")).toBe(1024 ** 3);
    expect(parseMemory(1000)).toBe(1000);
  });
});

describe("buildServiceBody", () => {
  test("maps the spec onto Swarm's ServiceSpec: mode, host ports, secrets by ID, resources, start-first policy, labels", () => {
    const s = spec({
      image: "w:1",
      replicas: 3,
      ports: [{ target: 80, published: 8080, mode: "ingress" }],
      secrets: [{ source: "db-1234", target: "db" }],
      resources: { limits: { cpus: 0.5, memory: "64m" } },
      env: { A: "1" },
      container_labels: { team: "x" },
    });
    const body = buildServiceBody(s, { image: `w:1@${DIGEST}`, secretIds: { "db-1234": "sid" }, configIds: {}, forceUpdate: 2 }) as any;
    expect(body.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(body.EndpointSpec.Ports).toEqual([{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" }]);
    const cs = body.TaskTemplate.ContainerSpec;
    expect(cs.Image).toBe(`w:1@${DIGEST}`);
    expect(cs.Env).toEqual(["A=1"]);
    expect(cs.Secrets).toEqual([{ File: { Name: "db", UID: "0", GID: "0", Mode: 0o444 }, SecretID: "sid", SecretName: "db-1234" }]);
    expect(cs.Labels.team).toBe("x");
    expect(cs.Labels[LABEL_TASK_HASH]).toMatch(/^[a-f0-9]{64}$/);
    expect(body.TaskTemplate.Resources.Limits).toEqual({ NanoCPUs: 5e8, MemoryBytes: 64 * 1024 * 1024 });
    expect(body.TaskTemplate.ForceUpdate).toBe(2);
    expect(body.UpdateConfig).toMatchObject({ Order: "start-first", FailureAction: "rollback", Parallelism: 1 });
    expect(body.Labels["deployster.managed"]).toBe("true");
    expect(body.Labels["deployster.config-hash"]).toMatch(/^[a-f0-9]{64}$/);
  });

  test("scaling changes the service's hash but not its tasks' (a scale adds tasks, it does not redeploy them)", () => {
    const a = buildServiceBody(spec({ image: "w", replicas: 1 }), { image: "w", secretIds: {}, configIds: {}, forceUpdate: 0 }) as any;
    const b = buildServiceBody(spec({ image: "w", replicas: 4 }), { image: "w", secretIds: {}, configIds: {}, forceUpdate: 0 }) as any;
    expect(a.Labels["deployster.config-hash"]).not.toBe(b.Labels["deployster.config-hash"]);
    expect(a.TaskTemplate.ContainerSpec.Labels[LABEL_TASK_HASH]).toBe(b.TaskTemplate.ContainerSpec.Labels[LABEL_TASK_HASH]);
  });
});

describe("planService", () => {
  test("absent → create", () => {
    const r = planService(spec(CONFIG), { service: null, tasks: [], nodes });
    expect(r).toEqual({ status: "STALE", actions: [{ name: "create", description: "create service web (2 replicas, image reg:5000/web:1)" }] });
  });

  test("a service deployster did not create is an error, never taken over", () => {
    const svc = serviceFor(CONFIG);
    svc.Spec.Labels = {};
    expect(() => planService(spec(CONFIG), { service: svc, tasks: [], nodes })).toThrow("exists but is not managed by deployster");
  });

  test("unchanged, converged, same registry digest → VALID with the state dependents see", () => {
    const svc = serviceFor(CONFIG);
    const tasks = [taskOf(svc, 1, "n1", 32768), taskOf(svc, 2, "n2", 32769)];
    const r = planService(spec(CONFIG), { service: svc, tasks, nodes, registryDigest: DIGEST });
    expect(r.status).toBe("VALID");
    const state = (r as any).state;
    expect(state).toMatchObject({ id: "svc1", name: "web", replicas: 2, running: 2, nodes: ["node1", "node2"] });
    expect(state.endpoints).toEqual(["10.9.0.11:32768", "10.9.0.12:32769"]);
    expect(state.tasks[0].ports).toEqual([{ target: 80, published: 32768, protocol: "tcp" }]);
    expect(state.virtual_ips).toEqual({ "app-net": "10.0.1.5" });
    expect(state.virtual_ip).toBe("10.0.1.5");
  });

  test("a config change names each changed field", () => {
    const svc = serviceFor(CONFIG);
    const tasks = [taskOf(svc, 1, "n1", 1), taskOf(svc, 2, "n2", 2)];
    const r = planService(spec({ ...CONFIG, image: "reg:5000/web:2", env: { LOG: "debug" } }), { service: svc, tasks, nodes }) as any;
    expect(r.status).toBe("STALE");
    expect(r.actions).toHaveLength(1);
    expect(r.actions[0].name).toBe("update");
    expect(r.actions[0].description).toBe("update (start-first): env.LOG: (unset) → debug; image: reg:5000/web:1 → reg:5000/web:2");
  });

  test("secret env values never reach the plan", () => {
    const cfg = { ...CONFIG, env: { PW: "hunter22" }, secret_env: ["PW"] };
    const svc = serviceFor(cfg);
    const r = planService(spec({ ...cfg, env: { PW: "hunter33" } }), { service: svc, tasks: [], nodes }) as any;
    expect(r.actions[0].description).toContain("env.PW (changed): *** → ***");
    expect(JSON.stringify(r)).not.toContain("hunter");
  });

  test("live facts: scaled outside, image re-pushed under the same tag", () => {
    const svc = serviceFor(CONFIG, { replicas: 5 });
    const tasks = [1, 2, 3, 4, 5].map((i) => taskOf(svc, i, "n1", i));
    const r = planService(spec(CONFIG), { service: svc, tasks, nodes, registryDigest: DIGEST2 }) as any;
    expect(r.actions[0].description).toBe(
      "update (start-first): replicas: 5 → 2 (scaled outside deployster); image reg:5000/web:1 moved in the registry: aaaaaaaaaaaa → bbbbbbbbbbbb",
    );
  });

  test("tasks that do not converge → redeploy, naming the failing tasks", () => {
    const svc = serviceFor(CONFIG);
    const tasks = [taskOf(svc, 1, "n1", 1), taskOf(svc, 2, "n2", 0, "failed", "shutdown"), taskOf(svc, 2, "n2", 0, "starting")];
    const r = planService(spec(CONFIG), { service: svc, tasks, nodes, registryDigest: DIGEST }) as any;
    expect(r.actions).toEqual([{ name: "update", args: ["force"], description: "redeploy: 1/2 tasks running; web.2 on node2: failed: task: non-zero exit (3)" }]);
  });

  test("after Swarm rolled an update back, the plan says so", () => {
    const svc = serviceFor(CONFIG, { update: { State: "rollback_completed", Message: "update rolled back due to failure" } });
    const r = planService(spec({ ...CONFIG, image: "reg:5000/web:9" }), { service: svc, tasks: [], nodes }) as any;
    expect(r.actions[0].description).toContain("the last update was rolled back (Swarm: update rolled back due to failure)");
  });

  test("replicated ↔ global cannot change in place → recreate", () => {
    const svc = serviceFor(CONFIG);
    const r = planService(spec({ image: CONFIG.image, mode: "global" }), { service: svc, tasks: [], nodes }) as any;
    expect(r.actions[0]).toMatchObject({ name: "recreate" });
    expect(r.actions[0].description).toContain("mode: replicated → global");
  });
});

describe("summarizeTasks", () => {
  test("against the spec apply sent: tasks of the previous spec are old, failures of the new one are counted", () => {
    const before = serviceFor(CONFIG);
    const after = serviceFor({ ...CONFIG, image: "reg:5000/web:2" });
    const tasks = [taskOf(before, 1, "n1", 1), taskOf(before, 2, "n2", 2), taskOf(after, 1, "n2", 3, "failed", "shutdown")];
    const s = summarizeTasks(before, tasks, nodes, targetOf(after.Spec.TaskTemplate));
    expect(s).toMatchObject({ desired: 2, runningCurrent: 0, runningOld: 2, failed: 1 });
    expect(s.failures).toEqual(["web.1 on node2: failed: task: non-zero exit (3)"]);
  });

  test("a global service wants as many tasks as Swarm says", () => {
    const svc: any = serviceFor({ image: "w", mode: "global" });
    svc.ServiceStatus = { DesiredTasks: 3, RunningTasks: 2 };
    const tasks = [taskOf(svc, 0, "n1", 1), taskOf(svc, 0, "n2", 2)];
    expect(summarizeTasks(svc, tasks, nodes)).toMatchObject({ desired: 3, runningCurrent: 2 });
  });
});

describe("extractServiceState", () => {
  test("only running tasks; each port once; ingress VIPs left out", () => {
    const svc: any = serviceFor(CONFIG);
    svc.Endpoint.VirtualIPs.push({ NetworkID: "ing", Addr: "10.255.0.5/16" });
    const t = taskOf(svc, 1, "n1", 30000) as any;
    t.NetworksAttachments.push({ Network: { ID: "ing", Spec: { Name: "ingress" } } });
    const state = extractServiceState(svc, [t, taskOf(svc, 2, "n2", 1, "shutdown", "shutdown")], nodes);
    expect(state.running).toBe(1);
    expect(state.tasks).toEqual([{ id: "t1running", slot: 1, node: "node1", address: "10.9.0.11", ports: [{ target: 80, published: 30000, protocol: "tcp" }] }]);
    expect(state.virtual_ips).toEqual({ "app-net": "10.0.1.5" });
  });
});

describe("secrets and configs", () => {
  test("the object name carries a digest of content and labels; the value or file gives the content", () => {
    const dir = mkdtempSync(join(tmpdir(), "svct-unit-"));
    try {
      writeFileSync(join(dir, "pw"), "one");
      const fromFile = normalizeObjectConfig("db", { file: "pw" }, dir);
      const fromValue = normalizeObjectConfig("db", { value: "one" }, dir);
      expect(fromFile.versionedName).toBe(fromValue.versionedName);
      expect(fromFile.versionedName).toMatch(/^db-[a-f0-9]{12}$/);
      expect(normalizeObjectConfig("db", { value: "two" }, dir).versionedName).not.toBe(fromValue.versionedName);
      expect(normalizeObjectConfig("db", { value: "one", labels: { a: 1 } }, dir).versionedName).not.toBe(fromValue.versionedName);
      expect(() => normalizeObjectConfig("db", { value: "a", file: "pw" }, dir)).toThrow("set exactly one of value and file");
      expect(() => normalizeObjectConfig("db", {}, dir)).toThrow("set exactly one of value and file");
      expect(() => normalizeObjectConfig("db", { file: "missing" }, dir)).toThrow(/config.file: cannot read .*missing: ENOENT/);
      expect(() => normalizeObjectConfig("db", { value: "x".repeat(600 * 1024) }, dir)).toThrow("over Swarm's limit");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a new content plans a new version and names the one it replaces; the current version is VALID", () => {
    const s = normalizeObjectConfig("db", { value: "two" }, WS);
    const r = planObject("secrets", s, null, ["db-000000000000"]) as any;
    expect(r.actions[0].description).toBe(`create secret ${s.versionedName} (content or labels changed; replaces db-000000000000, removed once no service uses it)`);
    const live = { ID: "x1", Spec: { Name: s.versionedName, Labels: { "deployster.managed": "true" } } };
    expect(planObject("secrets", s, live, [])).toEqual({
      status: "VALID",
      state: { id: "x1", name: s.versionedName, logical_name: "db", digest: s.digest.slice(0, 12) },
    });
    expect(() => planObject("configs", s, { ID: "x", Spec: { Name: "n", Labels: {} } }, [])).toThrow("not managed by deployster");
  });
});

describe("the image reference", () => {
  const re = new RegExp(IMAGE_REFERENCE_PATTERN);
  test("registry hosts with ports, paths and tags pass; digests, spaces and path tricks do not", () => {
    for (const ok of ["web", "web:1", "10.216.0.1:5000/web:2", "localhost/a/b_c:v1.2-x", "reg.example.com/team/app"]) expect(re.test(ok)).toBe(true);
    for (const bad of ["web@sha256:abc", "../x", "a/../b", "web:1 --x", "Web", "reg:5000/", "/web", "web:"]) expect(re.test(bad)).toBe(false);
  });

  test("an untagged image means :latest, so that `web` and `web:latest` are the same spec", () => {
    expect(spec({ image: "web" })).toEqual(spec({ image: "web:latest" }));
  });
});

describe("planService: an update under way", () => {
  test("is waited for, not restarted", () => {
    const svc = serviceFor(CONFIG, { update: { State: "updating", Message: "update in progress" } });
    const tasks = [taskOf(svc, 1, "n1", 1)];
    const r = planService(spec(CONFIG), { service: svc, tasks, nodes, registryDigest: DIGEST }) as any;
    expect(r.actions).toEqual([{ name: "wait", description: "wait for Swarm's updating (1/2 tasks running the current spec)" }]);
  });
});
