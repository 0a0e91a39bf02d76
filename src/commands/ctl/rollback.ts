/**
 * `rollback <service> [--wait]`: POST /v1/services/{name}/rollback, in the
 * original's style: `Rollback triggered!` or `Rollback failed :(` + status + body. With
 * --wait, follows the deploy the server names in its Location header (or in its JSON body).
 */
import { normalizeDeploy } from "../../client/deploys";
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
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) return reportHttpFailure(ctx, "Rollback failed :(", res);
  const body = await res.text().catch(() => "");
  let view;
  try {
    view = body ? normalizeDeploy(JSON.parse(body)) : undefined;
  } catch {
    view = undefined;
  }
  writeLine(ctx.stdout, view ? `Rollback triggered! (to ${options.service} ${view.version})` : "Rollback triggered!");
  if (!options.wait) return EXIT_OK;
  const location = res.headers.get("location") ?? undefined;
  return waitForDeploy(
    ctx,
    {
      service: options.service,
      ...(view ? { version: view.version, ...(view.timestamp ? { timestamp: view.timestamp } : {}) } : {}),
      ...(location ? { location } : {}),
    },
    options.waitTimeoutMs,
  );
}
