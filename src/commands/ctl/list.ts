/**
 * `list <service> [--json]`: the original's table. Unlike the original, the HTTP status is
 * checked (a 401 no longer prints an empty table and exits 0).
 */
import { UserError } from "../../errors";
import { formatUnitsTable, readUnits } from "../../client/units";
import { type CtlContext, reportHttpFailure } from "./io";
import { formatJson, readJsonBody } from "./json";
import { EXIT_OK } from "../../exit-codes";

export interface ListOptions {
  service: string;
  json: boolean;
}

export async function runList(ctx: CtlContext, options: ListOptions): Promise<number> {
  const res = await ctx.client.getUnits(options.service);
  if (res.status !== 200) return reportHttpFailure(ctx, "List failed :(", res);
  const doc = await readJsonBody(ctx, res, "the units");
  const units = readUnits(doc);
  if (!units) throw new UserError(`unexpected answer from ${ctx.client.origin} for the units: no "units" list`);
  ctx.stdout.write(options.json ? formatJson(doc) : formatUnitsTable(units));
  return EXIT_OK;
}
