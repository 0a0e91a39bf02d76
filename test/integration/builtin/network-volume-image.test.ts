/**
 * Networks, volumes and images on the real engine: a network recreate keeps its containers
 * attached (aliases included), a volume in use is never deleted, and images are pulled from a
 * local registry (Debian's docker-registry on 127.0.0.1) with progress, `pull: always`
 * noticing a new digest behind the tag.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { inspectContainer, inspectImage } from "../../../src/docker/index";
import { docker, leftovers, removeByLabel, requireDocker } from "../../support/docker";
import { startRegistry, type Registry } from "../../support/registry";
import { actionsOf, converge, makeIO, planOf, runActions, uniquePrefix, type Resource } from "./helpers";

const P = uniquePrefix();
const RUN_LABEL = `deployster.test-run=${P}`;
const labels = { "deployster.test": "builtin", "deployster.test-run": P };

let registry: Registry;
let REGISTRY = "";
let IMAGE_REF = "";

async function push(source: string): Promise<void> {
  await $`docker tag ${source} ${IMAGE_REF} && docker push ${IMAGE_REF}`.quiet();
}

beforeAll(async () => {
  await requireDocker();
  registry = await startRegistry();
  REGISTRY = registry.host;
  IMAGE_REF = `${REGISTRY}/${P}/web:v1`;
});

afterAll(async () => {
  await removeByLabel(RUN_LABEL);
  await $`docker rmi ${IMAGE_REF}`.quiet().nothrow();
  // Pushes and pulls leave digest references (repo@sha256:...) on the fixture images.
  const refs = (await $`docker images --digests --format '{{.Repository}}@{{.Digest}}' ${`${REGISTRY}/${P}/web`}`.text()).split("\n").filter((l) => l.includes("@sha256:"));
  for (const ref of refs) await $`docker rmi ${ref}`.quiet().nothrow();
  await registry?.stop();
  expect(await leftovers(RUN_LABEL)).toEqual({ containers: [], networks: [], volumes: [] });
});

describe("deployster/docker-network", () => {
  const net = (over: Record<string, unknown> = {}): Resource => ({
    name: "net",
    type: "deployster/docker-network",
    config: { name: `${P}-net`, labels, ...over },
  });
  const app: Resource = {
    name: "app",
    type: "deployster/docker-container",
    config: { name: `${P}-app`, image: "deployster-fixture/web:1", networks: { [`${P}-net`]: { aliases: ["www"] } }, labels, stop_timeout: 1 },
  };

  test("a changed network is recreated and its containers reconnected with their aliases", async () => {
    const first = await converge(net());
    await converge(app);
    const plan = await planOf(net({ internal: true, subnet: "10.213.7.0/24" }));
    expect(actionsOf(plan)).toEqual([
      `recreate: recreate network ${P}-net: internal: false → true; subnet: (unset) → 10.213.7.0/24 (1 attached container is disconnected and reconnected)`,
    ]);
    const { state } = await converge(net({ internal: true, subnet: "10.213.7.0/24" }));
    expect(state.id).not.toBe(first.state.id);
    expect(state).toMatchObject({ internal: true, subnet: "10.213.7.0/24" });
    const c = (await inspectContainer(docker, `${P}-app`))!;
    expect(c.NetworkSettings.Networks[`${P}-net`].Aliases).toEqual(expect.arrayContaining(["www", `${P}-app`]));
    expect(c.NetworkSettings.Networks[`${P}-net`].IPAddress).toStartWith("10.213.7.");
    expect((await planOf(app)).status).toBe("VALID");
  }, 60_000);
});

describe("deployster/docker-volume", () => {
  const vol = (over: Record<string, unknown> = {}): Resource => ({
    name: "data",
    type: "deployster/docker-volume",
    config: { name: `${P}-data`, labels, ...over },
  });
  const user: Resource = {
    name: "user",
    type: "deployster/docker-container",
    config: { name: `${P}-user`, image: "deployster-fixture/busybox:latest", command: "sleep 600", mounts: [`${P}-data:/data`], labels, stop_timeout: 1 },
  };

  test("create, then a change: refused while in use, recreated once free", async () => {
    const { state } = await converge(vol());
    expect(state).toMatchObject({ name: `${P}-data`, driver: "local" });
    expect(state.mountpoint).toStartWith("/");
    await converge(user);
    const changed = vol({ labels: { ...labels, tier: "db" } });
    const plan = await planOf(changed);
    expect(actionsOf(plan)).toEqual([`recreate: recreate volume ${P}-data: labels.tier: (unset) → db (its data is deleted)`]);
    await expect(runActions(changed, plan)).rejects.toThrow(`volume '${P}-data' must be recreated but is in use by: ${P}-user`);
    await $`docker rm -f ${P}-user`.quiet();
    await converge(changed);
    expect((await planOf(changed)).status).toBe("VALID");
  }, 60_000);
});

describe("deployster/docker-image", () => {
  const img = (pull?: string): Resource => ({ name: "img", type: "deployster/docker-image", config: { reference: IMAGE_REF, ...(pull ? { pull } : {}) } });

  test("missing → pull with progress; present → VALID", async () => {
    await push("deployster-fixture/web:1");
    await $`docker rmi ${IMAGE_REF}`.quiet();
    const io = makeIO();
    const { plan, state } = await converge(img(), io);
    expect(actionsOf(plan)).toEqual([`pull: pull ${IMAGE_REF} (not present)`]);
    expect(io.lines[0]).toBe(`pulling ${IMAGE_REF}`);
    expect(io.lines.some((l) => l.startsWith("Status: "))).toBe(true);
    expect(state.id).toBe((await inspectImage(docker, "deployster-fixture/web:1"))!.Id);
    expect(state.digest).toStartWith("sha256:");
  }, 60_000);

  test("pull: always notices a new digest behind the tag; unchanged registry → VALID", async () => {
    expect((await planOf(img("always"))).status).toBe("VALID");
    await push("deployster-fixture/web:2");
    await $`docker rmi ${IMAGE_REF}`.quiet();
    await $`docker tag deployster-fixture/web:1 ${IMAGE_REF}`.quiet(); // local tag still on the old image
    expect((await planOf(img("missing"))).status).toBe("VALID");
    const plan = await planOf(img("always"));
    expect(actionsOf(plan)[0]).toMatch(new RegExp(`^pull: pull ${IMAGE_REF.replace(/\./g, "\\.")} \\(registry has [0-9a-f]{12}, local [0-9a-f]{12}\\)$`));
    const { state } = await converge(img("always"));
    expect(state.id).toBe((await inspectImage(docker, "deployster-fixture/web:2"))!.Id);
  }, 60_000);

  test("a container whose image is missing pulls it on create, with progress", async () => {
    await $`docker rmi ${IMAGE_REF}`.quiet();
    const c: Resource = { name: "pulled", type: "deployster/docker-container", config: { name: `${P}-pulled`, image: IMAGE_REF, labels, stop_timeout: 1 } };
    const io = makeIO();
    const { plan, state } = await converge(c, io);
    expect(actionsOf(plan)).toEqual([`create: create and start container ${P}-pulled (image ${IMAGE_REF}, image will be pulled)`]);
    expect(io.lines[0]).toBe(`pulling ${IMAGE_REF}`);
    expect(state.running).toBe(true);
  }, 60_000);
});
