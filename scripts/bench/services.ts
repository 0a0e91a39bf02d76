#!/usr/bin/env bun
// Benchmark for the Swarm service type, on the 3-node lab (scripts/swarm-lab.sh):
// nothing to do on 30 unchanged services (1 replica each, a host-mode port, one overlay):
//   `deployster plan` vs `docker stack deploy -c <same stack as compose>`   target ≤ 0.2 ×
// `docker stack deploy` has no plan: unchanged, it still resolves every image and sends a full
// update of every service, which is what a team runs today. Both sets live side by side (the
// stack's services are named <stack>_<svc>). Each measurement is repeated, alternating which
// tool goes first; medians are shown. The lab is brought up and torn down by the script.
// Usage: bun scripts/bench/services.ts [repetitions=5]
//   LAB_NAME/LAB_NET pick the lab (default svcb/217, apart from the tests' labs; taken down at the end), DEPLOYSTER_BIN the binary.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startLab, type Lab } from "../../test/support/lab";
import { fmtMs, median, ratio, timed } from "./stats";

const REPS = Number(process.argv[2] ?? 5);
const N = 30;
const ROOT = resolve(import.meta.dir, "../..");
const BIN = process.env.DEPLOYSTER_BIN ?? join(ROOT, "bin/deployster");
const LAB_NAME = process.env.LAB_NAME ?? "svcb";
const LAB_NET = Number(process.env.LAB_NET ?? 217);
const workspace = mkdtempSync(join(tmpdir(), "deployster-bench-services-"));

const svcName = (i: number) => `web${String(i).padStart(2, "0")}`;

function deploysterManifest(image: string): string {
  const lines = ["resources:", "  net:", "    type: deployster/docker-network", "    config: { name: bench-net, driver: overlay }"];
  for (let i = 1; i <= N; i++) {
    lines.push(
      `  ${svcName(i)}:`,
      "    type: deployster/docker-service",
      "    dependencies: { net: net }",
      "    config:",
      `      name: ds-${svcName(i)}`,
      `      image: ${image}`,
      `      env: { MESSAGE: "${i}" }`,
      "      networks: [bench-net]",
      "      endpoint_mode: dnsrr",
      "      ports: [80]",
      "      labels: { deployster.test: bench-services }",
    );
  }
  return `${lines.join("\n")}\n`;
}

function composeFile(image: string): string {
  const lines = ['version: "3.8"', "networks:", "  net: { driver: overlay }", "services:"];
  for (let i = 1; i <= N; i++) {
    lines.push(
      `  ${svcName(i)}:`,
      `    image: ${image}`,
      `    environment: { MESSAGE: "${i}" }`,
      "    networks: [net]",
      "    ports: [{ target: 80, mode: host }]",
      "    deploy: { endpoint_mode: dnsrr, replicas: 1, update_config: { order: start-first }, labels: { deployster.test: bench-services } }",
    );
  }
  return `${lines.join("\n")}\n`;
}

async function run(cmd: string[], env: Record<string, string>): Promise<void> {
  const p = Bun.spawn(cmd, { cwd: workspace, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}:\n${out}\n${err}`);
}

async function waitForTasks(lab: Lab, n: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const services = await lab.docker.json<any[]>("GET", "/services", { query: { status: true } });
    const running = services.reduce((a, s) => a + (s.ServiceStatus?.RunningTasks ?? 0), 0);
    if (running >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${running}/${n} tasks running after 120 s`);
    await Bun.sleep(500);
  }
}

async function main(): Promise<void> {
  const lab = await startLab({ name: LAB_NAME, net: LAB_NET });
  try {
    const [image] = await lab.push("deployster-fixture/web:1");
    writeFileSync(join(workspace, "deployster.yaml"), deploysterManifest(image!));
    writeFileSync(join(workspace, "stack.yml"), composeFile(image!));
    const env = { DOCKER_HOST: lab.dockerHost, CONF_DIR: join(workspace, ".conf") };
    const plan = () => run([BIN, "plan", "--detailed-exitcode"], env);
    const applyNoop = () => run([BIN, "apply", "-y"], env);
    const stackDeploy = () => run(["docker", "stack", "deploy", "--prune", "-c", "stack.yml", "bench"], env);

    const [tApply] = await timed(() => run([BIN, "apply", "-y"], env));
    const [tStack] = await timed(stackDeploy);
    await waitForTasks(lab, 2 * N);
    console.log(`set-up: deployster apply of ${N} services (converged) ${fmtMs(tApply)}; docker stack deploy (returns before any task runs) ${fmtMs(tStack)}`);

    const ours: number[] = [];
    const oursApply: number[] = [];
    const theirs: number[] = [];
    await plan(); // warm the page cache of the binary
    for (let r = 0; r < REPS; r++) {
      const first = r % 2 === 0;
      if (!first) theirs.push((await timed(stackDeploy))[0]);
      ours.push((await timed(plan))[0]);
      oursApply.push((await timed(applyNoop))[0]);
      if (first) theirs.push((await timed(stackDeploy))[0]);
    }
    const p = median(ours);
    const s = median(theirs);
    console.log(`no-op, ${N} unchanged services, median of ${REPS}:`);
    console.log(`  deployster plan         ${fmtMs(p)}`);
    console.log(`  deployster apply -y     ${fmtMs(median(oursApply))}`);
    console.log(`  docker stack deploy     ${fmtMs(s)}`);
    console.log(`  ratio plan / stack deploy = ${ratio(p, s)} (target ≤ 0.20) ${p / s <= 0.2 ? "OK" : "MISSED"}`);
  } finally {
    await lab.stop();
    rmSync(workspace, { recursive: true, force: true });
  }
}

await main();
