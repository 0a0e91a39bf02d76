import { describe, expect, test } from "bun:test";
import { extractImageState, localDigest, normalizeImageConfig, planImage } from "../../../src/resource-types/builtin/image/spec";
import { buildNetworkCreateBody, normalizeNetworkConfig } from "../../../src/resource-types/builtin/network/spec";
import { planNetwork } from "../../../src/resource-types/builtin/network/type";
import { buildVolumeCreateBody, normalizeVolumeConfig } from "../../../src/resource-types/builtin/volume/spec";
import { planVolume } from "../../../src/resource-types/builtin/volume/type";

describe("docker-network", () => {
  const spec = normalizeNetworkConfig("app", { labels: { "deployster.test": "builtin" } });
  const body = buildNetworkCreateBody(spec);
  const inspectOf = (b: Record<string, any>) => ({
    Id: "net1",
    Name: b.Name,
    Driver: b.Driver,
    Internal: b.Internal,
    Labels: b.Labels,
    IPAM: { Config: [{ Subnet: "172.30.0.0/16", Gateway: "172.30.0.1" }] },
    Containers: {},
  });

  test("defaults and create body", () => {
    expect(spec).toEqual({ name: "app", driver: "bridge", internal: false, attachable: false, labels: { "deployster.test": "builtin" }, options: {} });
    expect(body).toMatchObject({ Name: "app", Driver: "bridge", Internal: false, Labels: { "deployster.managed": "true", "deployster.test": "builtin" } });
    expect(body.IPAM).toBeUndefined();
    expect(buildNetworkCreateBody(normalizeNetworkConfig("n", { subnet: "10.9.0.0/24" })).IPAM).toEqual({ Driver: "default", Config: [{ Subnet: "10.9.0.0/24" }] });
  });
  test("absent → create; same → VALID with id and subnet; changed → recreate naming the field", () => {
    expect(planNetwork(spec, null)).toEqual({ status: "STALE", actions: [{ name: "create", description: "create network app (driver bridge)" }] });
    expect(planNetwork(spec, inspectOf(body))).toEqual({
      status: "VALID",
      state: { id: "net1", name: "app", driver: "bridge", internal: false, scope: "local", attachable: false, subnet: "172.30.0.0/16", gateway: "172.30.0.1" },
    });
    const changed = normalizeNetworkConfig("app", { labels: { "deployster.test": "builtin" }, internal: true });
    const live = { ...inspectOf(body), Containers: { c1: {}, c2: {} } };
    expect((planNetwork(changed, live) as any).actions).toEqual([
      { name: "recreate", description: "recreate network app: internal: false → true (2 attached containers are disconnected and reconnected)" },
    ]);
  });
  test("unmanaged network with the same name is an error", () => {
    expect(() => planNetwork(spec, { ...inspectOf(body), Labels: {} })).toThrow(/not managed by deployster/);
  });
});

describe("docker-volume", () => {
  const spec = normalizeVolumeConfig("data", { labels: { a: "1" } });
  const body = buildVolumeCreateBody(spec);
  const live = { Name: "data", Driver: "local", Mountpoint: "/var/lib/docker/volumes/data/_data", Labels: body.Labels as Record<string, string>, Scope: "local" };
  test("absent → create; same → VALID with mountpoint; changed → recreate warning about data", () => {
    expect(planVolume(spec, null).status).toBe("STALE");
    expect(planVolume(spec, live)).toEqual({
      status: "VALID",
      state: { name: "data", driver: "local", mountpoint: "/var/lib/docker/volumes/data/_data", scope: "local" },
    });
    const changed = normalizeVolumeConfig("data", { labels: { a: "2" } });
    expect((planVolume(changed, live) as any).actions[0].description).toBe("recreate volume data: labels.a: 1 → 2 (its data is deleted)");
  });
});

describe("docker-image", () => {
  const inspect = { Id: "sha256:abcdef0123456789", RepoDigests: ["127.0.0.1:5000/app@sha256:1111"], Size: 10, Created: "t" };
  test("references get an explicit tag", () => {
    expect(normalizeImageConfig({ reference: "127.0.0.1:5000/app" })).toEqual({ reference: "127.0.0.1:5000/app:latest", pull: "missing" });
  });
  test("missing → pull; present → VALID with id; always + other registry digest → pull", () => {
    const spec = normalizeImageConfig({ reference: "127.0.0.1:5000/app:v1", pull: "always" });
    expect(localDigest(inspect, spec.reference)).toBe("sha256:1111");
    expect(planImage(spec, null)).toEqual({ status: "STALE", actions: [{ name: "pull", description: "pull 127.0.0.1:5000/app:v1 (not present)" }] });
    expect(planImage(spec, inspect, "sha256:1111")).toEqual({ status: "VALID", state: extractImageState(inspect, spec.reference) });
    expect(planImage(spec, inspect, undefined).status).toBe("VALID"); // registry unreachable: keep the local image
    const stale = planImage(spec, inspect, "sha256:2222") as any;
    expect(stale.actions[0].description).toBe("pull 127.0.0.1:5000/app:v1 (registry has 2222, local 1111)");
  });
});
