/** The Swarm backend's pure parts: service names, specs, and instances read back from services and tasks. */
import { describe, expect, test } from "bun:test";
import { buildInstanceSpec, currentTask, parseSwarmInstance, publishedPort, swarmResources, swarmServiceName, taskStateAsContainer } from "../../../src/server/backend/swarm/spec";
import { buildTaskSpec } from "../../../src/server/backend/swarm/task";
import { resolveServeConfig } from "../../../src/server/config";

const SWARM_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;

describe("swarmServiceName", () => {
  test("valid for Swarm (no dots, ≤ 63 chars), stable, and distinct for names that sanitize alike", () => {
    const a = swarmServiceName("web-1.2.3-2026.01.02-03.04.05-1");
    expect(a).toMatch(SWARM_NAME);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(swarmServiceName("web-1.2.3-2026.01.02-03.04.05-1")).toBe(a);
    expect(swarmServiceName("web-1_2_3-2026.01.02-03.04.05-1")).not.toBe(a);
    const long = swarmServiceName(`${"s".repeat(100)}-${"v".repeat(128)}-2026.01.02-03.04.05-12`);
    expect(long).toMatch(SWARM_NAME);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(swarmServiceName("__.--")).toMatch(SWARM_NAME);
  });
});

describe("buildInstanceSpec", () => {
  test("one replica, pinned to the chosen node, host-mode port on the chosen port, restart, labels on the service", () => {
    const spec: any = buildInstanceSpec({
      labels: { "deployster.service": "web" },
      instanceName: "web-v1-2026.01.02-03.04.05-1",
      image: "reg:5000/web:v1@sha256:" + "a".repeat(64),
      containerPort: 3000,
      stopGraceSeconds: 10,
      limits: { memoryBytes: 64 * 1024 ** 2 },
      placement: { nodeId: "n2", port: 30123 },
    });
    expect(spec.Name).toMatch(SWARM_NAME);
    expect(spec.Labels).toEqual({ "deployster.service": "web" });
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(spec.EndpointSpec.Ports).toEqual([{ Protocol: "tcp", TargetPort: 3000, PublishedPort: 30123, PublishMode: "host" }]);
    expect(spec.TaskTemplate.Placement).toEqual({ Constraints: ["node.id==n2"] });
    expect(spec.TaskTemplate.ContainerSpec.StopGracePeriod).toBe(10e9);
    expect(spec.TaskTemplate.Resources).toEqual({ Limits: { MemoryBytes: 64 * 1024 ** 2 } });
  });

  test("no limits: no Resources", () => {
    expect(swarmResources({})).toEqual({});
    expect(swarmResources({ pids: 50 })).toEqual({ Limits: { Pids: 50 } });
  });
});

describe("buildTaskSpec", () => {
  test("a replicated job that never restarts; Args keep the image's ENTRYPOINT", () => {
    const spec: any = buildTaskSpec({ name: "web-v1-task-abc", image: "reg/web:v1", args: ["/bin/sh", "-c", "exit 3"], labels: { a: "b" } });
    expect(spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect(spec.TaskTemplate.RestartPolicy).toEqual({ Condition: "none" });
    expect(spec.TaskTemplate.ContainerSpec).toEqual({ Image: "reg/web:v1", Args: ["/bin/sh", "-c", "exit 3"] });
    expect(spec.TaskTemplate.ContainerSpec.Command).toBeUndefined();
  });
});

const LABELS = {
  "deployster.managed": "true",
  "deployster.component": "serve-instance",
  "deployster.service": "web",
  "deployster.version": "v2",
  "deployster.timestamp": "2026.01.02-03.04.05",
  "deployster.instance": "2",
  "deployster.port": "3000",
  "deployster.deploy.count": "3",
  "deployster.deploy.destroy-previous": "true",
  "deployster.replaces": "web-v1-2026.01.01-00.00.00-2",
};

function task(state: string, desired: string, created: string, nodeId = "n1", port?: number): any {
  return {
    NodeID: nodeId,
    DesiredState: desired,
    CreatedAt: created,
    Status: { State: state, PortStatus: port ? { Ports: [{ TargetPort: 3000, PublishedPort: port, PublishMode: "host" }] } : {} },
  };
}

describe("instances from services and tasks", () => {
  const service = { ID: "svc1", CreatedAt: "2026-01-02T03:04:05Z", Spec: { Labels: LABELS } };
  const addrs = new Map([["n1", "10.0.0.11"], ["n2", "10.0.0.12"]]);

  test("a running task: dial <node address>:<published port>, machine = node", () => {
    const i = parseSwarmInstance(service, [task("running", "running", "2026-01-02T03:04:06Z", "n2", 32770)], addrs, 3000)!;
    expect(i).toMatchObject({ id: "svc1", name: "web-v2-2026.01.02-03.04.05-2", state: "running", dial: "10.0.0.12:32770", machineId: "n2", hostPort: 32770 });
    expect(i.replaces).toBe("web-v1-2026.01.01-00.00.00-2");
    expect(i.count).toBe(3);
  });

  test("rescheduled: the new task Swarm wants running wins over the old one still reported running", () => {
    const tasks = [
      task("running", "shutdown", "2026-01-02T03:04:06Z", "n1", 32768),
      task("starting", "running", "2026-01-02T03:09:00Z", "n2"),
    ];
    expect(currentTask(tasks)!.NodeID).toBe("n2");
    const i = parseSwarmInstance(service, tasks, addrs, 3000)!;
    expect(i.state).toBe("created");
    expect(i.dial).toBeUndefined();
    expect(i.machineId).toBe("n2");
  });

  test("no task yet: created; not ours: undefined", () => {
    expect(parseSwarmInstance(service, [], addrs, 3000)!.state).toBe("created");
    expect(parseSwarmInstance({ ...service, Spec: { Labels: { ...LABELS, "deployster.component": "serve-task" } } }, [], addrs, 3000)).toBeUndefined();
    expect(parseSwarmInstance({ ID: "x", Spec: { Labels: {} } }, [], addrs, 3000)).toBeUndefined();
  });

  test("task states in the container vocabulary; ports by target", () => {
    expect(["new", "pending", "assigned", "preparing", "starting"].map(taskStateAsContainer)).toEqual(Array(5).fill("created"));
    expect(taskStateAsContainer("running")).toBe("running");
    expect(["complete", "failed", "shutdown", "rejected", "orphaned"].map(taskStateAsContainer)).toEqual(Array(5).fill("exited"));
    expect(publishedPort(task("running", "running", "", "n1", 32771), 3000)).toBe(32771);
    expect(publishedPort(task("running", "running", "", "n1", 32771), 8080)).toBeUndefined();
  });
});

test("--swarm is a serve flag", () => {
  expect(resolveServeConfig({ swarm: true, password: "x" }, {}).swarm).toBe(true);
  expect(resolveServeConfig({ password: "x" }, {}).swarm).toBe(false);
});

describe("checkSwarmManager", () => {
  const engine = (swarm: Record<string, unknown>) => ({ target: "unix:///x.sock", json: async () => ({ Swarm: swarm }) }) as any;
  test("a plain engine and a worker get one clear line; a manager passes", async () => {
    const { checkSwarmManager } = await import("../../../src/server/backend/swarm/index");
    await expect(checkSwarmManager(engine({ LocalNodeState: "inactive" }))).rejects.toThrow(
      "--swarm: the engine at unix:///x.sock is not part of a Swarm (point DOCKER_HOST at a Swarm manager, or drop --swarm)",
    );
    await expect(checkSwarmManager(engine({ LocalNodeState: "active", ControlAvailable: false }))).rejects.toThrow("is a Swarm worker, not a manager");
    await checkSwarmManager(engine({ LocalNodeState: "active", ControlAvailable: true }));
  });
});

describe("listing while services go away", () => {
  test("a service removed between the services and the tasks call (404) is listed again, not an error", async () => {
    const { createSwarmBackend } = await import("../../../src/server/backend/swarm/index");
    const { DockerApiError } = await import("../../../src/docker/errors");
    const svc = (id: string, instance: string) => ({ ID: id, CreatedAt: "2026-01-02T03:04:05Z", Spec: { Labels: { ...LABELS, "deployster.instance": instance } } });
    let servicesCalls = 0;
    let tasksCalls = 0;
    const docker = {
      target: "unix:///x.sock",
      async json(_method: string, path: string) {
        if (path === "/info") return { Swarm: { LocalNodeState: "active", ControlAvailable: true } };
        if (path === "/nodes") return [{ ID: "n1", Status: { Addr: "10.0.0.11" } }];
        if (path === "/services") return ++servicesCalls === 1 ? [svc("gone", "1"), svc("kept", "2")] : [svc("kept", "2")];
        if (path === "/tasks") {
          if (++tasksCalls === 1) throw new DockerApiError(404, "GET", "/tasks", "service gone not found");
          return [{ ...task("running", "running", "2026-01-02T03:04:06Z", "n1", 32768), ServiceID: "kept" }];
        }
        throw new Error(`unexpected ${path}`);
      },
    } as any;
    const config = resolveServeConfig({ swarm: true, password: "x" }, {});
    const backend = await createSwarmBackend({ docker, config } as any, {});
    const list = await backend.list("web");
    expect(list.map((i) => `${i.id} ${i.dial}`)).toEqual(["kept 10.0.0.11:32768"]);
    expect(servicesCalls).toBe(2);
  });
});
