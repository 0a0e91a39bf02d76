/**
 * --registry-url: deploys and tasks pull `<registry>/<service>:<version>`
 * from a private registry (a local docker-registry with htpasswd), with the credentials of
 * the Docker client config (DOCKER_CONFIG/config.json); without them the pull fails with
 * a clear reason.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectImage, pushImage, removeImage, tagImage } from "../../../src/docker/images";
import { startRegistry, type Registry } from "../../support/registry";
import { docker, settled, startServe, TestScope, units } from "./harness";

const scope = new TestScope("registry");
const SVC = "srvreg";
const USER = "deployer";
const PASS = "registry-secret";
let reg: Registry;
let withCreds: string;
let noCreds: string;
const dirs: string[] = [];

function dockerConfig(auths: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "srv-dockercfg-"));
  dirs.push(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.json"), JSON.stringify({ auths }));
  return dir;
}

beforeAll(async () => {
  reg = await startRegistry({ htpasswd: { user: USER, password: PASS } });
  withCreds = dockerConfig({ [reg.host]: { auth: Buffer.from(`${USER}:${PASS}`).toString("base64") } });
  noCreds = dockerConfig({});
  for (const v of ["v1", "v2"]) {
    const ref = `${reg.host}/${SVC}:${v}`;
    await tagImage(docker, `deployster/app:${v}`, `${reg.host}/${SVC}`, v);
    await pushImage(docker, ref, { env: { DOCKER_CONFIG: withCreds } });
    // only the registry has it now: the server must pull
    await removeImage(docker, ref);
    scope.track(ref);
  }
});

afterAll(async () => {
  const left = await scope.cleanup();
  await reg?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  expect(left).toEqual([]);
});

describe("private registry", () => {
  test("without credentials: the deploy fails with the reason, the task is a 500", async () => {
    const s = await startServe({ scope, args: ["--registry-url", reg.host], env: { DOCKER_CONFIG: noCreds } });
    try {
      expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1" } })).status).toBe(201);
      const rec = await settled(s, SVC, "v1");
      expect(rec.state).toBe("failed");
      expect(rec.reason).toContain(`${reg.host}/${SVC}:v1`);
      expect(rec.reason).toMatch(/auth|denied|unauthorized/i);
      const res = await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v2", command: "echo hi" } });
      expect(res.status).toBe(500);
      expect(await res.text()).toStartWith("ERROR: ");
    } finally {
      expect(await s.stop()).toBe(0);
    }
  }, 60_000);

  test("with credentials from DOCKER_CONFIG: deploy and task pull from <registry>/<service>:<version>", async () => {
    const s = await startServe({ scope, args: ["--registry-url", reg.host], env: { DOCKER_CONFIG: withCreds } });
    try {
      expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", instance_count: 2 } })).status).toBe(201);
      expect((await settled(s, SVC, "v1")).state).toBe("live");
      const us = await units(s, SVC);
      expect(us.map((u) => u.current_state)).toEqual(["launched", "launched"]);
      expect(await (await fetch(`http://127.0.0.1:${us[0]!.host_port}/`)).text()).toBe("v1\n");
      expect(await inspectImage(docker, `${reg.host}/${SVC}:v2`)).toBeNull();
      const res = await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v2", command: "cat /www/index.html 2>/dev/null || echo $VERSION" } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("v2\n\nExited (0) \n");
      expect(await inspectImage(docker, `${reg.host}/${SVC}:v2`)).not.toBeNull();
      expect((await s.call("DELETE", `/v1/services/${SVC}/deploys/v1`)).status).toBe(204);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  }, 90_000);
});
