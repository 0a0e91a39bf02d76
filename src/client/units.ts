/**
 * Units as GET /v1/services/{name}/units returns them (src/server/openapi.json):
 * `{"units": [{"service", "instance", "version", "current_state", "desired_state",
 * "machine_id", "deploy_timestamp", ...additions}]}`.
 */
import { formatTable } from "./table";

export interface UnitRow {
  instance: string;
  version: string;
  current_state: string;
  desired_state: string;
  machine_id: string;
  deploy_timestamp: string;
}

function text(v: unknown): string {
  return v === undefined || v === null ? "" : String(v);
}

/** Reads the units out of the answer; undefined when it isn't `{units: [...]}`. */
export function readUnits(doc: unknown): UnitRow[] | undefined {
  const units = (doc as { units?: unknown } | null)?.units;
  if (!Array.isArray(units)) return undefined;
  return units.map((u: Record<string, unknown>) => ({
    instance: text(u?.instance),
    version: text(u?.version),
    current_state: text(u?.current_state),
    desired_state: text(u?.desired_state),
    machine_id: text(u?.machine_id),
    deploy_timestamp: text(u?.deploy_timestamp),
  }));
}

/** deployctl's list table (tabwriter, padding 4), header and dash row included. */
export function formatUnitsTable(units: UnitRow[]): string {
  return formatTable([
    ["#", "Version", "Current state", "Desired state", "Machine ID", "Timestamp"],
    ["-", "-------", "-------------", "-------------", "----------", "---------"],
    ...units.map((u) => [u.instance, u.version, u.current_state, u.desired_state, u.machine_id, u.deploy_timestamp]),
  ]);
}
