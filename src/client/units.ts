/**
 * Units as GET /v1/services/{name}/units returns them (spec api-v1.md section 3):
 * `{"units": [{"service", "instance", "version", "current_state", "desired_state",
 * "machine_id", "deploy_timestamp", ...additions}]}`.
 */
import { fieldsOf } from "../api/json";
import type { Unit } from "../api/v1";
import { formatTable } from "./table";

/** The original's columns of a unit (src/api/v1.ts Unit), each read as text. */
export type UnitRow = Record<keyof Pick<Unit, "instance" | "version" | "current_state" | "desired_state" | "machine_id" | "deploy_timestamp">, string>;

function text(v: unknown): string {
  return v === undefined || v === null ? "" : String(v);
}

/** Reads the units out of the answer; undefined when it isn't `{units: [...]}`. */
export function readUnits(doc: unknown): UnitRow[] | undefined {
  const units = fieldsOf(doc)?.units;
  if (!Array.isArray(units)) return undefined;
  return units.map((raw: unknown) => {
    const u = fieldsOf(raw);
    return {
      instance: text(u?.instance),
      version: text(u?.version),
      current_state: text(u?.current_state),
      desired_state: text(u?.desired_state),
      machine_id: text(u?.machine_id),
      deploy_timestamp: text(u?.deploy_timestamp),
    };
  });
}

/** The original deployctl's list table (tabwriter, padding 4), header and dash row included. */
export function formatUnitsTable(units: UnitRow[]): string {
  return formatTable([
    ["#", "Version", "Current state", "Desired state", "Machine ID", "Timestamp"],
    ["-", "-------", "-------------", "-------------", "----------", "---------"],
    ...units.map((u) => [u.instance, u.version, u.current_state, u.desired_state, u.machine_id, u.deploy_timestamp]),
  ]);
}
