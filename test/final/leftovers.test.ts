import { expect, test } from "bun:test";
import { LABEL_MANAGED } from "../../src/docker/labels";
import { leftovers, requireDocker } from "../support/docker";

// Runs after the whole suite (scripts/test.sh invokes it separately): nothing that
// deployster or a test created may remain on the engine.
test("no container, network or volume labelled deployster.managed is left behind", async () => {
  await requireDocker();
  expect(await leftovers(`${LABEL_MANAGED}=true`)).toEqual({ containers: [], networks: [], volumes: [] });
});
