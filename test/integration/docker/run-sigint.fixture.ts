// Spawned by run-container.test.ts: starts a long container run, prints its id, and waits
// for the test to send SIGINT (the shutdown must remove the container) or SIGKILL
// (AutoRemove must remove it once it exits). argv: [sleep seconds] [deployster.test label].
import { DockerClient } from "../../../src/docker/client";
import { runContainer } from "../../../src/docker/run";
import { ContainerTracker } from "../../../src/docker/tracking";
import { installSignalHandlers, Shutdown } from "../../../src/shutdown";

const shutdown = new Shutdown();
installSignalHandlers(shutdown);
const containers = new ContainerTracker();
shutdown.onShutdown(() => containers.removeAll().then(() => undefined));
const d = DockerClient.fromEnv();
await runContainer(d, {
  image: "deployster-fixture/busybox:latest",
  entrypoint: ["sh", "-c"],
  args: [`echo started; sleep ${process.argv[2] ?? "60"}`],
  labels: { "deployster.test": process.argv[3] ?? "docker-sigint" },
  signal: shutdown.signal,
  containers,
  onStdoutLine: (l) => console.log(l),
});
