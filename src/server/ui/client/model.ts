/// <reference lib="dom" />
/// <reference lib="dom.asynciterable" />
/// <reference lib="dom.iterable" />
/**
 * The page's state and how events change it. Pure functions over plain data (the same
 * shapes as the v1 API), so the page shows what the API says and nothing else.
 */
import type { DeployRecord, ServiceOverview, TaskRecord, Unit } from "../../../api/v1";

export type { DeployRecord, TaskRecord, Unit };

export type ServiceView = ServiceOverview;

export type Connection = "connecting" | "live" | "reconnecting" | "closed";

export interface PageState {
  services: Record<string, ServiceView>;
  tasks: TaskRecord[];
  connection: Connection;
  loaded: boolean;
}

export const initialState: PageState = { services: {}, tasks: [], connection: "connecting", loaded: false };

const MAX_DEPLOYS = 20;
const MAX_TASKS = 50;

export function applySnapshot(s: PageState, services: ServiceView[], tasks: TaskRecord[]): PageState {
  const map: Record<string, ServiceView> = {};
  for (const v of services) map[v.service] = v;
  return { ...s, services: map, tasks, loaded: true };
}

function serviceOf(s: PageState, name: string): ServiceView {
  return s.services[name] ?? { service: name, units: [], deploys: [] };
}

const sameDeploy = (a: DeployRecord, b: DeployRecord) => a.version === b.version && a.timestamp === b.timestamp;

export function applyDeploy(s: PageState, d: DeployRecord): PageState {
  const v = serviceOf(s, d.service);
  const deploys = [d, ...v.deploys.filter((x) => !sameDeploy(x, d))]
    .sort((a, b) => b.started_at.localeCompare(a.started_at))
    .slice(0, MAX_DEPLOYS);
  return { ...s, services: { ...s.services, [d.service]: { ...v, deploys } } };
}

export function applyUnits(s: PageState, service: string, units: Unit[]): PageState {
  const v = serviceOf(s, service);
  return { ...s, services: { ...s.services, [service]: { ...v, units } } };
}

export function applyTask(s: PageState, t: TaskRecord): PageState {
  const tasks = [t, ...s.tasks.filter((x) => x.container !== t.container)]
    .sort((a, b) => b.started_at.localeCompare(a.started_at))
    .slice(0, MAX_TASKS);
  return { ...s, tasks };
}

/** Instances grouped by deploy (`version:timestamp`), newest deploy first. */
export function groupVersions(units: Unit[]): { version: string; timestamp: string; units: Unit[] }[] {
  const groups = new Map<string, { version: string; timestamp: string; units: Unit[] }>();
  for (const u of units) {
    const key = `${u.version}:${u.deploy_timestamp}`;
    const g = groups.get(key) ?? { version: u.version, timestamp: u.deploy_timestamp, units: [] };
    g.units.push(u);
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.timestamp.localeCompare(a.timestamp) || b.version.localeCompare(a.version));
}

export type Step = "booting" | "ready" | "routed" | "retired";

/**
 * How far instance k of a rolling deploy is: the furthest step reached (or pending/failed).
 * Routed comes from the units (the router's view); without a router, ready means serving.
 */
export function instanceProgress(rec: DeployRecord["instances"][number], units: Unit[]): Step | "pending" | "failed" | "removed" {
  if (rec.state === "pending" || rec.state === "failed" || rec.state === "removed") return rec.state;
  if (rec.state === "booting") return "booting";
  if (rec.retired) return "retired";
  const unit = units.find((u) => u.container_name === rec.container);
  if (unit && unit.routed !== false) return "routed";
  return "ready";
}

export function formatAge(iso: string | null | undefined, now: number): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return "—";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function formatDuration(from: string | null | undefined, to: string | null | undefined, now: number): string {
  if (!from) return "—";
  return formatAge(from, to ? Date.parse(to) : now);
}
