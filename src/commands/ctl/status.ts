/**
 * `status <service> [version] [--timestamp TS] [--json]`: the recent deploys of a
 * service as a table, or one deploy with its instances, reason and last log lines.
 * --json prints the server's document as it sent it (pretty-printed).
 */
import { UserError } from "../../errors";
import { type DeployView, countReady, describeDeploy, failureLogs, readDeployList, readDeployResponse } from "../../client/deploys";
import { formatTable } from "../../client/table";
import { type CtlContext, reportHttpFailure } from "./io";
import { formatJson, readJsonBody } from "./json";
import { EXIT_OK } from "../../exit-codes";

export interface StatusOptions {
  service: string;
  version?: string;
  timestamp?: string;
  json: boolean;
}

export function formatDeployList(views: DeployView[]): string {
  if (views.length === 0) return "No deploys.\n";
  return formatTable(
    [
      ["Version", "Timestamp", "State", "Ready", "Reason"],
      ["-------", "---------", "-----", "-----", "------"],
      ...views.map((v) => {
        const { ready, total } = countReady(v);
        return [v.version, v.timestamp ?? "", v.state, total > 0 ? `${ready}/${total}` : "-", v.reason ?? ""];
      }),
    ],
    { padding: 3 },
  );
}

export function formatDeployDetail(view: DeployView, service: string): string {
  const out: string[] = [`Deploy:  ${describeDeploy(view, service)}`, `State:   ${view.state}`];
  if (view.reason) out.push(`Reason:  ${view.reason}`);
  let text = `${out.join("\n")}\n`;
  if (view.instances.length > 0) {
    text += `\n${formatTable(
      [
        ["#", "State", "Container", "Note"],
        ["-", "-----", "---------", "----"],
        ...view.instances.map((i) => [i.instance, i.state || "-", i.container ?? "-", i.reason ?? ""]),
      ],
      { padding: 3 },
    )}`;
  }
  for (const block of failureLogs(view)) {
    text += `${block.instance ? `-- Last log lines of instance ${block.instance}:` : "-- Last log lines:"}\n`;
    text += block.lines.map((l) => `   ${l}\n`).join("");
  }
  return text;
}

export async function runStatus(ctx: CtlContext, options: StatusOptions): Promise<number> {
  const res = options.version
    ? await ctx.client.getDeploy(options.service, options.version, options.timestamp)
    : await ctx.client.getDeploys(options.service);
  if (res.status !== 200) return reportHttpFailure(ctx, "Status failed :(", res);
  const doc = await readJsonBody(ctx, res, "the deploy status");
  if (options.json) {
    ctx.stdout.write(formatJson(doc));
    return EXIT_OK;
  }
  if (options.version) {
    const view = readDeployResponse(doc);
    if (!view) throw new UserError(`unexpected answer from ${ctx.client.origin} for the deploy status: no deploy record`);
    ctx.stdout.write(formatDeployDetail(view, options.service));
  } else {
    const views = readDeployList(doc);
    if (!views) throw new UserError(`unexpected answer from ${ctx.client.origin} for the deploys: no "deploys" list`);
    ctx.stdout.write(formatDeployList(views));
  }
  return EXIT_OK;
}
