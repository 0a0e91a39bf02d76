/**
 * GET /v1/services: every service this server knows (it has instances, or recent deploy
 * records), with its units and its recent deploys, from the same sources as GET .../units
 * and GET .../deploys, so the page looks the same whichever backend runs the instances.
 */
import type { ServerContext } from "../context";
import type { ServiceOverview } from "../../api/v1";
import { collectUnits } from "../handlers/units";
import { forEachLimited, listInstances } from "../instances";

export async function collectOverview(ctx: ServerContext): Promise<ServiceOverview[]> {
  const names = new Set(ctx.log.services());
  for (const i of await listInstances(ctx)) names.add(i.service);
  const out: ServiceOverview[] = [];
  await forEachLimited([...names].sort(), 4, async (service) => {
    out.push({ service, units: await collectUnits(ctx, service), deploys: ctx.log.list(service) });
  });
  return out.sort((a, b) => a.service.localeCompare(b.service));
}
