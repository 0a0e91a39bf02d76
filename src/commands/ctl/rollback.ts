/**
 * `rollback <service> [--wait]`: POST /v1/services/{name}/rollback, in the original's
 * style: `Rollback triggered!` or `Rollback failed :(` + status + body. The 201 has no body:
 * its Location header names the deploy the rollback started (version and timestamp), which
 * --wait follows.
 */
import { parseDeployStatusPath } from "../../api/v1";
import { type CtlContext, reportHttpFailure, writeLine } from "./io";
import { waitForDeploy } from "./wait";
import { EXIT_OK } from "../../exit-codes";

export interface RollbackOptions {
  service: string;
  wait: boolean;
  waitTimeoutMs: number;
}

export async function runRollback(ctx: CtlContext, options: RollbackOptions): Promise<number> {
  const res = await ctx.client.rollback(options.service);
  if (res.status !== 201) return reportHttpFailure(ctx, "Rollback failed :(", res);
  await res.arrayBuffer().catch(() => undefined);
  const location = res.headers.get("location") ?? undefined;
  const started = location ? parseDeployStatusPath(location) : undefined;
  writeLine(ctx.stdout, started ? `Rollback triggered! (to ${options.service} ${started.version})` : "Rollback triggered!");
  if (!options.wait) return EXIT_OK;
  return waitForDeploy(
    ctx,
    {
      service: options.service,
      ...(started ? { version: started.version, timestamp: started.timestamp } : {}),
      ...(location ? { location } : {}),
    },
    options.waitTimeoutMs,
  );
}
