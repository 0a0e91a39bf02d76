// Spawned by run-container.test.ts: starts a long container run, prints its id, and waits
// for the test to send SIGINT (the shutdown hooks must remove the container) or SIGKILL
// (AutoRemove must remove it once it exits). argv: [sleep seconds] [deployster.test label].
import { DockerClient } from "../../../src/docker/client";
import { runContainer } from "../../../src/docker/run";
import { installSignalHandlers } from "../../../src/shutdown";

installSignalHandlers();
const d = DockerClient.fromEnv();
await runContainer(d, {
  image: "deployster-fixture/busybox:latest",
  entrypoint: ["sh", "-c"],
  args: [`echo started; sleep ${process.argv[2] ?? "60"}`],
  labels: { "deployster.test": process.argv[3] ?? "docker-sigint" },
  onStdoutLine: (l) => console.log(l),
});
