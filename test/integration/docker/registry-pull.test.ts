import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerApiError } from "../../../src/docker/errors";
import { inspectImage, pullImage, pushImage, removeImage, tagImage, type ProgressEvent } from "../../../src/docker/images";
import { runContainer } from "../../../src/docker/run";
import { startRegistry, type Registry } from "../../support/registry";
import { BUSYBOX, docker, removeByLabel, requireDocker } from "../../support/docker";

const created: string[] = [];
let open: Registry | undefined;
let authed: Registry | undefined;
let confDir: string;

beforeAll(async () => {
  await requireDocker();
  open = await startRegistry();
  authed = await startRegistry({ htpasswd: { user: "ci", password: "p@ss:word" } });
  confDir = mkdtempSync(join(tmpdir(), "deployster-dockercfg-"));
  const auth = Buffer.from("ci:p@ss:word").toString("base64");
  writeFileSync(join(confDir, "config.json"), JSON.stringify({ auths: { [authed.host]: { auth } } }));
});

afterAll(async () => {
  await removeByLabel("deployster.test=docker-registry");
  for (const ref of created) await removeImage(docker, ref, { force: true }).catch(() => {});
  await open?.stop();
  await authed?.stop();
  rmSync(confDir, { recursive: true, force: true });
});

/** Puts busybox into `registry` as <host>/deployster-test/<name>:1 and removes the local tag. */
async function seed(host: string, name: string, env?: Record<string, string>): Promise<string> {
  const repo = `${host}/deployster-test/${name}`;
  await tagImage(docker, BUSYBOX, repo, "1");
  await pushImage(docker, `${repo}:1`, { env });
  await removeImage(docker, `${repo}:1`);
  expect(await inspectImage(docker, `${repo}:1`)).toBeNull();
  created.push(`${repo}:1`);
  return `${repo}:1`;
}

describe("pulling from a local docker-registry", () => {
  test("without auth: pullImage streams progress and the image arrives", async () => {
    const ref = await seed(open!.host, "plain");
    const events: ProgressEvent[] = [];
    await pullImage(docker, ref, { onProgress: (e) => events.push(e) });
    expect(events.some((e) => /Downloaded newer image|Pull complete|Image is up to date/.test(e.status ?? ""))).toBe(true);
    expect(await inspectImage(docker, ref)).not.toBeNull();
  });

  test("runContainer pulls a missing image first", async () => {
    const ref = await seed(open!.host, "autopull");
    let pulled = "";
    const r = await runContainer(docker, {
      image: ref,
      entrypoint: ["echo", "from-registry"],
      labels: { "deployster.test": "docker-registry" },
      onPull: (i) => (pulled = i),
    });
    expect(pulled).toBe(ref);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe("from-registry\n");
  });

  test("with htpasswd auth: credentials from the Docker config file are sent", async () => {
    const env = { DOCKER_CONFIG: confDir };
    const ref = await seed(authed!.host, "private", env);
    await pullImage(docker, ref, { env });
    expect(await inspectImage(docker, ref)).not.toBeNull();
  });

  test("with htpasswd auth: no credentials → the engine's refusal surfaces as an error", async () => {
    const ref = `${authed!.host}/deployster-test/private:1`;
    await removeImage(docker, ref, { force: true });
    const emptyConf = mkdtempSync(join(tmpdir(), "deployster-nocfg-"));
    try {
      const err = await pullImage(docker, ref, { env: { DOCKER_CONFIG: emptyConf } }).catch((e) => e);
      expect(err).toBeInstanceOf(DockerApiError);
      expect((err as DockerApiError).engineMessage).toMatch(/unauthorized|authentication required|no basic auth/i);
    } finally {
      rmSync(emptyConf, { recursive: true, force: true });
    }
  });
});
