import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { requireDocker } from "../support/docker";
import { compareSnapshots, takeEngineSnapshot, type EngineSnapshot } from "../support/engine-snapshot";

// Runs after the whole suite: every container, network, volume (its files included) and
// image tag that existed before the suite (scripts/test.sh snapshots them into
// DEPLOYSTER_ENGINE_SNAPSHOT) is still there, unchanged: not restarted, not relabelled, its
// data not written. A user's running deployment is exactly as the suite found it.
test("the suite left every pre-existing container, network, volume and image as it was", async () => {
  await requireDocker();
  const file = process.env.DEPLOYSTER_ENGINE_SNAPSHOT;
  if (!file) throw new Error("DEPLOYSTER_ENGINE_SNAPSHOT is not set: run this check through scripts/test.sh");
  const before = JSON.parse(readFileSync(file, "utf8")) as EngineSnapshot;
  expect(compareSnapshots(before, await takeEngineSnapshot())).toEqual([]);
});

// And the suite created nothing that is still there: no container, network or volume (with
// or without deployster's labels) that did not exist before it started.
test("the suite left no container, network or volume of its own behind", async () => {
  await requireDocker();
  const file = process.env.DEPLOYSTER_ENGINE_SNAPSHOT;
  if (!file) throw new Error("DEPLOYSTER_ENGINE_SNAPSHOT is not set: run this check through scripts/test.sh");
  const before = JSON.parse(readFileSync(file, "utf8")) as EngineSnapshot;
  const now = await takeEngineSnapshot();
  const added = Object.keys(now)
    .filter((key) => !(key in before) && /^(container|network|volume):/.test(key))
    .map((key) => `${key} ${now[key]}`);
  expect(added).toEqual([]);
});
