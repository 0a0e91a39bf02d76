/**
 * `deployster type check IMAGE [--config FILE]`: checks a resource-type image against the
 * resource protocol (src/resource-types/PROTOCOL.md) and prints a report a person can act
 * on. Exit 0 only when the image conforms; 1 when it does not, or cannot be checked.
 */
import { resolve } from "node:path";
import { DockerClient } from "../docker/client";
import { ContainerTracker } from "../docker/tracking";
import { parseDuration } from "../duration";
import { newRunId } from "../engine/session";
import { UserError } from "../errors";
import { readYamlFile } from "../manifest/yaml";
import { checkConformance } from "../resource-types/conformance/check";
import { formatResult, formatVerdict, skippedPhases } from "../resource-types/conformance/report";
import { Shutdown, type ShutdownScope } from "../shutdown";
import type { Writer } from "../ui/human";
import { EXIT_FAILURE, exitCodeOf } from "../exit-codes";

export interface TypeCheckOptions {
  config?: string;
  stateTimeout?: string;
  actionTimeout?: string;
  verbose?: boolean;
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdout?: Writer;
  /** The process's shutdown (main.ts's): its signal stops the check. */
  shutdown?: ShutdownScope;
}

async function loadConfig(file: string | undefined, cwd: string): Promise<Record<string, unknown>> {
  if (file === undefined) return {};
  const parsed = await readYamlFile(resolve(cwd, file), "config file", file);
  const value = parsed.value ?? {};
  if (typeof value !== "object" || Array.isArray(value)) throw new UserError(`config file '${file}' must contain a mapping (the resource's config)`);
  return value as Record<string, unknown>;
}

/** The timeouts, with the same defaults as plan/apply (and as --help says). */
export function resolveTypeCheckTimeouts(o: Pick<TypeCheckOptions, "stateTimeout" | "actionTimeout">): { stateTimeoutMs: number; actionTimeoutMs: number } {
  return { stateTimeoutMs: parseDuration(o.stateTimeout ?? "5m", "--state-timeout"), actionTimeoutMs: parseDuration(o.actionTimeout ?? "30m", "--action-timeout") };
}

export async function runTypeCheckCommand(subcommand: string, image: string, o: TypeCheckOptions): Promise<number> {
  if (subcommand !== "check") throw new UserError(`unknown type subcommand '${subcommand}' (expected: deployster type check IMAGE)`);
  if (!image || /\s/.test(image)) throw new UserError(`invalid image reference '${image ?? ""}'`);
  const env = o.env ?? process.env;
  const out = o.stdout ?? process.stdout;
  const config = await loadConfig(o.config, o.cwd ?? process.cwd());
  const { stateTimeoutMs, actionTimeoutMs } = resolveTypeCheckTimeouts(o);
  const runId = env.DEPLOYSTER_RUN_ID || newRunId();
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(runId)) throw new UserError(`invalid DEPLOYSTER_RUN_ID '${runId}'`);
  const docker = DockerClient.fromEnv(env);
  await docker.ping();

  out.write(`Checking ${image} against the resource protocol (config: ${JSON.stringify(config)})\n`);
  // Stopped (SIGINT/SIGTERM): the running container is removed, and nothing more is reported.
  const shutdown = o.shutdown ?? new Shutdown();
  const containers = new ContainerTracker();
  const unregister = shutdown.onShutdown(() => containers.removeAll().then(() => undefined));
  const live = () => !shutdown.signal.aborted;
  let results: Awaited<ReturnType<typeof checkConformance>>;
  try {
    results = await checkConformance({
      image,
      config,
      docker,
      runId,
      stateTimeoutMs,
      actionTimeoutMs,
      verbose: !!o.verbose,
      signal: shutdown.signal,
      containers,
      onResult: (r) => live() && out.write(`${formatResult(r)}\n`),
      onOutput: o.verbose ? (phase, stream, line) => live() && out.write(`        ${phase} ${stream}| ${line}\n`) : undefined,
    });
  } finally {
    unregister();
  }
  if (!live()) return EXIT_FAILURE;
  for (const s of skippedPhases(results)) out.write(`${formatResult(s)}\n`);
  out.write(`${formatVerdict(image, results)}\n`);
  return exitCodeOf(!results.some((r) => r.status === "fail"));
}
