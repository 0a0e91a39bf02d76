/**
 * `deploy <service> <version>`: the original's lines (`Skipping destruction of previous
 * version...`, `Deploy triggered!`, or `Deploy failed :(` + status + body), `destroy_previous`
 * true unless --skip-destroy-previous; plus --timestamp and --wait.
 */
import { type CtlContext, reportHttpFailure, writeLine } from "./io";
import { waitForDeploy } from "./wait";
import { EXIT_OK } from "../../exit-codes";

export interface DeployOptions {
  service: string;
  version: string;
  skipDestroyPrevious: boolean;
  instances: number;
  timestamp?: string;
  wait: boolean;
  waitTimeoutMs: number;
}

export async function runDeploy(ctx: CtlContext, options: DeployOptions): Promise<number> {
  if (options.skipDestroyPrevious) writeLine(ctx.stdout, "Skipping destruction of previous version...");
  const res = await ctx.client.createDeploy(options.service, options.version, {
    destroyPrevious: !options.skipDestroyPrevious,
    instanceCount: options.instances,
    ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
  });
  if (res.status !== 201) return reportHttpFailure(ctx, "Deploy failed :(", res);
  await res.body?.cancel().catch(() => {});
  writeLine(ctx.stdout, "Deploy triggered!");
  if (!options.wait) return EXIT_OK;
  const location = res.headers.get("location") ?? undefined;
  return waitForDeploy(
    ctx,
    {
      service: options.service,
      version: options.version,
      ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
      ...(location ? { location } : {}),
    },
    options.waitTimeoutMs,
  );
}
