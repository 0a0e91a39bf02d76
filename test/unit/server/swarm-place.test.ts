/** Placement of Swarm instances (pure): node and port choice, the cluster view, re-placement specs. */
import { describe, expect, test } from "bun:test";
import { choosePlacement, DEFAULT_PORT_RANGE, isPortConflict, isUsableNode, keepsTasks, nodeAddress, parsePortRange, pinnedNode, viewCluster } from "../../../src/server/backend/swarm/place";
import { movedSpec, strandedWhy } from "../../../src/server/backend/swarm/replace";
import { buildInstanceSpec } from "../../../src/server/backend/swarm/spec";
import { envList, instanceFacts } from "../../../src/server/config-dir";

const node = (id: string, addr: string, state = "ready", availability = "active") => ({ ID: id, Status: { State: state, Addr: addr }, Spec: { Availability: availability } });
const NODES = [node("n1", "10.9.0.11"), node("n2", "10.9.0.12"), node("n3", "10.9.0.13")];
const pinned = (id: string, svc: string, nodeId: string, port: number) => ({
  ID: id,
  Spec: {
    Labels: { "deployster.component": "serve-instance", "deployster.service": svc },
    TaskTemplate: { Placement: { Constraints: [`node.id==${nodeId}`] } },
    EndpointSpec: { Ports: [{ TargetPort: 3000, PublishedPort: port, PublishMode: "host" }] },
  },
});
const isWeb = (s: any) => s.Spec?.Labels?.["deployster.service"] === "web";
const first = () => 0;

describe("nodes", () => {
  test("usable: ready and active, with an address; the manager's advertised address when Status.Addr is 0.0.0.0", () => {
    expect(NODES.every(isUsableNode)).toBe(true);
    expect(isUsableNode(node("x", "10.9.0.14", "down"))).toBe(false);
    expect(isUsableNode(node("x", "10.9.0.14", "ready", "drain"))).toBe(false);
    expect(isUsableNode(node("x", "10.9.0.14", "ready", "pause"))).toBe(false);
    expect(nodeAddress({ Status: { Addr: "0.0.0.0" }, ManagerStatus: { Addr: "10.9.0.11:2377" } })).toBe("10.9.0.11");
    expect(nodeAddress({ Status: { Addr: "0.0.0.0" } })).toBeUndefined();
    // A paused node takes no new instance but keeps its own; a drained or down one does not.
    expect(keepsTasks(node("x", "10.9.0.14", "ready", "pause"))).toBe(true);
    expect(keepsTasks(node("x", "10.9.0.14", "ready", "drain"))).toBe(false);
    expect(keepsTasks(node("x", "10.9.0.14", "down"))).toBe(false);
  });
});

describe("choosePlacement", () => {
  test("spreads: fewest instances of the service, then fewest services, then by ID", () => {
    const services = [pinned("a", "web", "n1", 30000), pinned("b", "other", "n2", 30000), pinned("c", "other", "n2", 30001)];
    const v = viewCluster(NODES, services, [], isWeb);
    expect(v.own.get("n1")).toBe(1);
    expect(v.all.get("n2")).toBe(2);
    expect(choosePlacement(v, { range: DEFAULT_PORT_RANGE, random: first })).toEqual({ nodeId: "n3", addr: "10.9.0.13", port: 30000 });
    // n3 excluded: n2 has no web instance, n1 has one.
    expect(choosePlacement(v, { range: DEFAULT_PORT_RANGE, random: first, exclude: new Set(["n3"]) })?.nodeId).toBe("n2");
  });

  test("skips ports taken on the node: pinned specs, running tasks' ports, unpinned specs' fixed ports, reserved ones", () => {
    const services = [pinned("a", "web", "n1", 30000), { ID: "u", Spec: { EndpointSpec: { Ports: [{ PublishedPort: 30001, PublishMode: "host" }] } } }];
    const tasks = [{ ServiceID: "z", NodeID: "n1", DesiredState: "running", Status: { PortStatus: { Ports: [{ PublishedPort: 30002 }] } } }];
    const v = viewCluster([NODES[0]!], services, tasks, isWeb);
    const range = { lo: 30000, hi: 30004 };
    expect(choosePlacement(v, { range, random: first })?.port).toBe(30003);
    expect(choosePlacement(v, { range, random: first, taken: new Map([["n1", new Set([30003])]]) })?.port).toBe(30004);
    // From a random start, wrapping around the range.
    expect(choosePlacement(v, { range, random: () => 0.99 })?.port).toBe(30004);
    expect(choosePlacement(v, { range: { lo: 30000, hi: 30002 }, random: first })).toBeUndefined();
  });

  test("no usable node: undefined", () => {
    const v = viewCluster([node("n1", "10.9.0.11", "down")], [], [], isWeb);
    expect(choosePlacement(v, { range: DEFAULT_PORT_RANGE, random: first })).toBeUndefined();
  });

  test("tasks of services that are not pinned count on the node they run on; shut-down ones do not", () => {
    const tasks = [
      { ServiceID: "old", NodeID: "n1", DesiredState: "running" },
      { ServiceID: "gone", NodeID: "n2", DesiredState: "shutdown" },
    ];
    const v = viewCluster(NODES.slice(0, 2), [{ ID: "old", Spec: { Labels: { "deployster.service": "web" } } }], tasks, isWeb);
    expect(v.own.get("n1")).toBe(1);
    expect(v.all.get("n2")).toBeUndefined();
    expect(choosePlacement(v, { range: DEFAULT_PORT_RANGE, random: first })?.nodeId).toBe("n2");
  });
});

test("port ranges: LO-HI, default 30000-32767, one clear line otherwise", () => {
  expect(parsePortRange(undefined)).toEqual({ lo: 30000, hi: 32767 });
  expect(parsePortRange("40000-40010")).toEqual({ lo: 40000, hi: 40010 });
  for (const bad of ["40010-40000", "0-10", "1-70000", "x", "100"]) expect(() => parsePortRange(bad)).toThrow("DEPLOYSTER_SWARM_PORTS must be LO-HI");
});

describe("re-placement", () => {
  const facts = instanceFacts({ service: "web", version: "v1", instance: "1", hostIp: "10.9.0.11", containerPort: 3000, publishedPort: 30000, swarm: true });
  const spec = buildInstanceSpec({
    labels: { "deployster.service": "web" },
    instanceName: "web-v1-x-1",
    image: "reg/web:v1",
    containerPort: 3000,
    stopGraceSeconds: 10,
    env: envList({ GREETING: "hi" }, facts),
    placement: { nodeId: "n1", port: 30000 },
  }) as any;

  test("the facts of a new instance say its chosen node's address and port", () => {
    expect(spec.TaskTemplate.ContainerSpec.Env).toContain("DEPLOYSTER_HOST_IP=10.9.0.11");
    expect(spec.TaskTemplate.ContainerSpec.Env).toContain("DEPLOYSTER_PUBLISHED_PORT=30000");
  });

  test("movedSpec: new pin, port and facts; everything else kept", () => {
    const moved = movedSpec(spec, { nodeId: "n3", addr: "10.9.0.13", port: 31000 }) as any;
    expect(pinnedNode({ Spec: moved })).toBe("n3");
    expect(moved.TaskTemplate.Placement.Constraints).toEqual(["node.id==n3"]);
    expect(moved.EndpointSpec.Ports).toEqual([{ Protocol: "tcp", TargetPort: 3000, PublishedPort: 31000, PublishMode: "host" }]);
    const env: string[] = moved.TaskTemplate.ContainerSpec.Env;
    expect(env.filter((l) => l.startsWith("DEPLOYSTER_HOST_IP="))).toEqual(["DEPLOYSTER_HOST_IP=10.9.0.13"]);
    expect(env.filter((l) => l.startsWith("DEPLOYSTER_PUBLISHED_PORT="))).toEqual(["DEPLOYSTER_PUBLISHED_PORT=31000"]);
    expect(env).toContain("GREETING=hi");
    expect(env).toContain("DEPLOYSTER_SERVICE=web");
    expect({ ...moved, TaskTemplate: undefined, EndpointSpec: undefined }).toEqual({ ...spec, TaskTemplate: undefined, EndpointSpec: undefined });
    expect(moved.TaskTemplate.RestartPolicy).toEqual(spec.TaskTemplate.RestartPolicy);
    expect(moved.TaskTemplate.ContainerSpec.Image).toBe("reg/web:v1");
  });

  test("stranded: a node not usable; a port conflict of the current spec (bind failed, or pending on Swarm's port check); else not", () => {
    const s = { ...pinned("a", "web", "n1", 30000), UpdatedAt: "2026-01-01T00:00:10Z" };
    const usable = new Set(["n1", "n2"]);
    expect(strandedWhy(s, [], new Set(["n2"]))?.why).toBe("node n1 is down or drained");
    expect(strandedWhy(s, [], usable)).toBeUndefined();
    const bind = { Status: { State: "failed", Err: "starting container failed: ... Bind for 0.0.0.0:30000 failed: port is already allocated" }, CreatedAt: "2026-01-01T00:00:11Z" };
    const pending = { Status: { State: "pending", Err: "no suitable node (host-mode port already in use on 1 node)" }, CreatedAt: "2026-01-01T00:00:11Z" };
    expect(isPortConflict(bind)).toBe(true);
    expect(isPortConflict(pending)).toBe(true);
    expect(isPortConflict({ Status: { State: "failed", Err: "task: non-zero exit (1)" } })).toBe(false);
    expect(strandedWhy(s, [bind], usable)).toEqual({ why: "port 30000 is taken on node n1", portTaken: true });
    expect(strandedWhy(s, [pending], usable)?.portTaken).toBe(true);
    // A conflict from before the last update (an earlier placement) is history.
    expect(strandedWhy(s, [{ ...bind, CreatedAt: "2026-01-01T00:00:09Z" }], usable)).toBeUndefined();
    // Not pinned (created by an earlier serve): Swarm moves it itself.
    expect(strandedWhy({ ID: "x", Spec: {} }, [bind], new Set())).toBeUndefined();
  });
});
