import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { listContainers } from "../../src/docker/containers";
import { LABEL_MANAGED } from "../../src/docker/labels";
import { listNetworks } from "../../src/docker/networks";
import { listVolumes } from "../../src/docker/volumes";
import { docker, requireDocker } from "../support/docker";

// Runs after the whole suite (scripts/test.sh invokes it separately): nothing that
// deployster or a test created may remain on the engine. Objects that existed before the
// suite started (listed by scripts/test.sh in DEPLOYSTER_PREEXISTING) are not the suite's.
test("the suite left no container, network or volume labelled deployster.managed", async () => {
  await requireDocker();
  const file = process.env.DEPLOYSTER_PREEXISTING;
  const before = new Set(file && existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);
  const label = [`${LABEL_MANAGED}=true`];
  const [cs, ns, vs] = await Promise.all([
    listContainers(docker, { all: true, labels: label }),
    listNetworks(docker, { labels: label }),
    listVolumes(docker, { labels: label }),
  ]);
  const left = {
    containers: cs.filter((c) => !before.has(c.Id)).map((c) => `${c.Names?.[0]} ${c.Image} ${c.State} ${JSON.stringify(c.Labels)}`),
    networks: ns.filter((n) => !before.has(n.Id)).map((n) => n.Name),
    volumes: vs.filter((v) => !before.has(v.Name)).map((v) => v.Name),
  };
  expect(left).toEqual({ containers: [], networks: [], volumes: [] });
});
