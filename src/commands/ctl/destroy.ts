/** `destroy <service> <version> [--timestamp TS]`: 204 → `Destroy triggered!`. */
import { type CtlContext, reportHttpFailure, writeLine } from "./io";
import { EXIT_OK } from "../../exit-codes";

export interface DestroyOptions {
  service: string;
  version: string;
  timestamp?: string;
}

export async function runDestroy(ctx: CtlContext, options: DestroyOptions): Promise<number> {
  const res = await ctx.client.destroyDeploy(options.service, options.version, options.timestamp);
  if (res.status !== 204) return reportHttpFailure(ctx, "Destroy failed :(", res);
  await res.body?.cancel().catch(() => {});
  writeLine(ctx.stdout, "Destroy triggered!");
  return EXIT_OK;
}
