import { expect, test } from "bun:test";
import { swarmSecretName } from "../../../src/server/backend/swarm/secrets";
import { buildInstanceBody } from "../../../src/server/rollout/boot";
import { planDeploy } from "../../../src/server/rollout/plan";

test("an instance's create body: configuration then facts in Env, the secrets read-only at /run/secrets, the digest label", () => {
  const plan = planDeploy({ service: "shop", request: { version: "v2", timestamp: "2026.01.01-00.00.00", destroyPrevious: false, instanceCount: 1 }, instances: [], imagePrefix: "p", startedAt: "x", history: "[]" });
  plan.config = { service: "shop", version: "v2", env: { A: "1" }, variables: [], secrets: [], digest: "0123456789abcdef" };
  const body: any = buildInstanceBody(plan, 1, { containerPort: 3000, publishHost: "127.0.0.1", scope: {}, secretsDir: "/run/x/d" });
  expect(body.Env).toEqual(["A=1", "DEPLOYSTER_SERVICE=shop", "DEPLOYSTER_VERSION=v2", "DEPLOYSTER_TIMESTAMP=2026.01.01-00.00.00", "DEPLOYSTER_INSTANCE=1", "DEPLOYSTER_HOST_IP=127.0.0.1", "DEPLOYSTER_PORT=3000"]);
  expect(body.HostConfig.Mounts).toEqual([{ Type: "bind", Source: "/run/x/d", Target: "/run/secrets", ReadOnly: true }]);
  expect(body.Labels["deployster.config-digest"]).toBe("0123456789abcdef");
  const chosen: any = buildInstanceBody(plan, 1, { containerPort: 3000, publishHost: "127.0.0.1", scope: {}, hostPort: 40123 });
  expect(chosen.Env).toContain("DEPLOYSTER_PUBLISHED_PORT=40123");
  expect(chosen.HostConfig.PortBindings["3000/tcp"]).toEqual([{ HostIp: "127.0.0.1", HostPort: "40123" }]);
  expect(chosen.HostConfig.Mounts).toBeUndefined();
});

test("Swarm secret names fit 64 characters and end alphanumeric", () => {
  expect(swarmSecretName("shop", "api_key", "0123456789abcdef")).toBe("shop-api_key-0123456789abcdef");
  const long = swarmSecretName("s".repeat(100), "n".repeat(100), "0123456789abcdef");
  expect(long.length).toBeLessThanOrEqual(64);
  expect(long).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*-0123456789abcdef$/);
  expect(swarmSecretName("s".repeat(100), "m".repeat(100), "0123456789abcdef")).not.toBe(long);
});
