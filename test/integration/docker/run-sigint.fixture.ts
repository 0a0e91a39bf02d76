// Spawned by run-container.test.ts: starts a long container run, prints its id, and waits
// for the test to send SIGINT. The shutdown hooks must remove the container.
import { DockerClient } from "../../../src/docker/client";
import { runContainer } from "../../../src/docker/run";
import { installSignalHandlers } from "../../../src/shutdown";

installSignalHandlers();
const d = DockerClient.fromEnv();
await runContainer(d, {
  image: "deployster-fixture/busybox:latest",
  entrypoint: ["sh", "-c"],
  args: ["echo started; sleep 60"],
  labels: { "deployster.test": "docker-sigint" },
  onStdoutLine: (l) => console.log(l),
});
