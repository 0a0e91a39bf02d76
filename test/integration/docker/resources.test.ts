import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  containerLogs,
  createContainer,
  inspectContainer,
  listContainers,
  removeContainer,
  renameContainer,
  startContainer,
  stopContainer,
  waitContainer,
} from "../../../src/docker/containers";
import { streamEvents } from "../../../src/docker/events";
import { inspectImage, listImages } from "../../../src/docker/images";
import { connectNetwork, createNetwork, inspectNetwork, listNetworks, removeNetwork } from "../../../src/docker/networks";
import { createVolume, inspectVolume, listVolumes, removeVolume } from "../../../src/docker/volumes";
import { BUSYBOX, docker, leftovers, removeByLabel, requireDocker } from "../../support/docker";

const LABEL = "deployster.test=docker-resources";
const Labels = { "deployster.managed": "true", "deployster.test": "docker-resources" };
const suffix = `${process.pid}-${Date.now()}`;

beforeAll(async () => {
  await requireDocker();
});
afterAll(async () => {
  await removeByLabel(LABEL);
});

describe("Engine API client against the real engine", () => {
  test("container lifecycle: create, start, logs follow (demultiplexed), wait, inspect, rename, list by label, remove", async () => {
    const { Id } = await createContainer(
      docker,
      { Image: BUSYBOX, Entrypoint: ["sh", "-c"], Cmd: ["echo out; echo err >&2; sleep 1; echo late"], Labels },
      `dst-life-${suffix}`,
    );
    await startContainer(docker, Id);
    const streamed: string[] = [];
    const logs = await containerLogs(docker, Id, { follow: true, onChunk: (s, d) => streamed.push(`${s}:${new TextDecoder().decode(d)}`) });
    expect(logs.stdout).toBe("out\nlate\n");
    expect(logs.stderr).toBe("err\n");
    expect(streamed).toContain("stderr:err\n");
    expect(await waitContainer(docker, Id, "not-running")).toBe(0);
    await renameContainer(docker, Id, `dst-renamed-${suffix}`);
    const info = (await inspectContainer(docker, Id))!;
    expect(info.Name).toBe(`/dst-renamed-${suffix}`);
    expect(info.State.Status).toBe("exited");
    const listed = await listContainers(docker, { labels: [LABEL], name: `dst-renamed-${suffix}` });
    expect(listed.map((c) => c.Id)).toEqual([Id]);
    await removeContainer(docker, Id);
    expect(await inspectContainer(docker, Id)).toBeNull();
    await removeContainer(docker, Id); // already gone: no error
  });

  test("stop a running container", async () => {
    const { Id } = await createContainer(docker, { Image: BUSYBOX, Entrypoint: ["sleep", "60"], Labels });
    await startContainer(docker, Id);
    expect((await inspectContainer(docker, Id))!.State.Running).toBe(true);
    await stopContainer(docker, Id, 0);
    expect((await inspectContainer(docker, Id))!.State.Running).toBe(false);
    await removeContainer(docker, Id);
  });

  test("networks: create, inspect, list by label, connect with alias, remove", async () => {
    const name = `dst-net-${suffix}`;
    const { Id } = await createNetwork(docker, { Name: name, Labels });
    const net = (await inspectNetwork(docker, name))!;
    expect(net.Id).toBe(Id);
    expect((await listNetworks(docker, { labels: [LABEL] })).map((n) => n.Name)).toContain(name);
    const c = await createContainer(docker, { Image: BUSYBOX, Entrypoint: ["sleep", "30"], Labels });
    await connectNetwork(docker, name, c.Id, { aliases: ["web-alias"] });
    const ci = (await inspectContainer(docker, c.Id))!;
    expect(ci.NetworkSettings.Networks[name].Aliases).toContain("web-alias");
    await removeContainer(docker, c.Id);
    await removeNetwork(docker, Id);
    expect(await inspectNetwork(docker, name)).toBeNull();
  });

  test("volumes: create, inspect, list by label, remove", async () => {
    const name = `dst-vol-${suffix}`;
    await createVolume(docker, { Name: name, Labels });
    expect((await inspectVolume(docker, name))!.Name).toBe(name);
    expect((await listVolumes(docker, { labels: [LABEL] })).map((v) => v.Name)).toContain(name);
    await removeVolume(docker, name);
    expect(await inspectVolume(docker, name)).toBeNull();
  });

  test("images: inspect and list by reference", async () => {
    const img = (await inspectImage(docker, BUSYBOX))!;
    expect(img.Id).toMatch(/^sha256:/);
    const list = await listImages(docker, { reference: BUSYBOX });
    expect(list.map((i) => i.Id)).toContain(img.Id);
    expect(await inspectImage(docker, "deployster-fixture/does-not-exist:nope")).toBeNull();
  });

  test("events: the stream reports a labelled container's lifecycle", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const { Id } = await createContainer(docker, { Image: BUSYBOX, Entrypoint: ["true"], Labels });
    await startContainer(docker, Id);
    await waitContainer(docker, Id, "not-running");
    await removeContainer(docker, Id);
    const seen: string[] = [];
    await streamEvents(
      docker,
      { since, until: Math.floor(Date.now() / 1000) + 1, filters: { container: [Id], type: ["container"] } },
      (ev) => seen.push(ev.Action ?? ev.status ?? ""),
    );
    expect(seen).toEqual(expect.arrayContaining(["create", "start", "die", "destroy"]));
  });

  test("nothing of this file is left", async () => {
    expect(await leftovers(LABEL)).toEqual({ containers: [], networks: [], volumes: [] });
  });
});
