/**
 * Deploy records: GET /v1/services/{name}/deploys[/{version}].
 * The server's shape is read leniently (a `{deploy: {...}}` / `{deploys: [...]}` wrapper or
 * not; instance progress as `state` words or `ready` booleans; log lines as a list or one
 * string) and normalized to DeployView, which is all the ctl commands use.
 */
export type DeployState = "rolling" | "live" | "failed" | "rolled_back" | "destroyed" | string;

export interface InstanceView {
  instance: string;
  state: string;
  ready: boolean;
  failed: boolean;
  reason?: string;
  hostPort?: string;
  container?: string;
  logs: string[];
}

export interface DeployView {
  service?: string;
  version: string;
  timestamp?: string;
  state: DeployState;
  reason?: string;
  instances: InstanceView[];
  /** Log lines the record carries at its top level (the failing instance's). */
  logs: string[];
}

export const TERMINAL_STATES = new Set(["live", "failed", "rolled_back", "destroyed"]);

const READY_WORDS = /^(ready|live|launched|healthy|routed|serving)$/i;
const FAILED_WORDS = /^(failed|unhealthy|exited|dead|inactive|removed|error)$/i;

type Obj = Record<string, unknown>;

function str(v: unknown): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
}

function lines(v: unknown): string[] {
  if (typeof v === "string") return v.replace(/\n$/, "").split("\n").filter((l, i, all) => l !== "" || i < all.length - 1);
  if (Array.isArray(v)) return v.flatMap((x) => (typeof x === "string" ? x.replace(/\n$/, "").split("\n") : []));
  return [];
}

function firstOf(o: Obj, keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
}

export function normalizeInstance(raw: unknown, index: number): InstanceView {
  const o = (raw && typeof raw === "object" ? raw : {}) as Obj;
  const state = str(firstOf(o, ["state", "status", "phase"])) ?? (o.ready === true ? "ready" : "");
  const ready = o.ready === true || READY_WORDS.test(state);
  const failed = o.failed === true || (!ready && FAILED_WORDS.test(state));
  const hostPort = str(firstOf(o, ["host_port", "port"]));
  const reason = str(firstOf(o, ["reason", "error", "message"]));
  const container = str(firstOf(o, ["container", "name", "container_name"]));
  return {
    instance: str(firstOf(o, ["instance", "number", "index"])) ?? String(index + 1),
    state,
    ready,
    failed,
    ...(reason ? { reason } : {}),
    ...(hostPort ? { hostPort } : {}),
    ...(container ? { container } : {}),
    logs: lines(firstOf(o, ["logs", "last_logs", "log", "log_tail"])),
  };
}

/** Unwraps `{deploy: {...}}` and normalizes one record; undefined when it isn't one. */
export function normalizeDeploy(doc: unknown): DeployView | undefined {
  let o = (doc && typeof doc === "object" ? doc : undefined) as Obj | undefined;
  if (o && o.deploy && typeof o.deploy === "object" && !Array.isArray(o.deploy)) o = o.deploy as Obj;
  if (!o) return undefined;
  const state = str(firstOf(o, ["state", "status"]));
  const version = str(o.version);
  if (!state || !version) return undefined;
  const rawInstances = firstOf(o, ["instances", "units", "progress"]);
  const reason = str(firstOf(o, ["reason", "error", "failure_reason", "message"]));
  const service = str(o.service);
  const timestamp = str(firstOf(o, ["timestamp", "deploy_timestamp"]));
  return {
    ...(service ? { service } : {}),
    version,
    ...(timestamp ? { timestamp } : {}),
    state,
    ...(reason ? { reason } : {}),
    instances: Array.isArray(rawInstances) ? rawInstances.map(normalizeInstance) : [],
    logs: lines(firstOf(o, ["logs", "last_logs", "log", "log_tail"])),
  };
}

/** Unwraps `{deploys: [...]}` (or a bare list). */
export function normalizeDeployList(doc: unknown): DeployView[] | undefined {
  const list = Array.isArray(doc) ? doc : (doc as Obj | null)?.deploys;
  if (!Array.isArray(list)) return undefined;
  return list.map(normalizeDeploy).filter((d): d is DeployView => d !== undefined);
}

export function countReady(view: DeployView): { ready: number; total: number } {
  return { ready: view.instances.filter((i) => i.ready).length, total: view.instances.length };
}

/** `rolling, 1/2 instances ready` */
export function summarizeProgress(view: DeployView): string {
  const { ready, total } = countReady(view);
  const state = view.state.replace(/_/g, " ");
  return total > 0 ? `${state}, ${ready}/${total} instance${total === 1 ? "" : "s"} ready` : state;
}

/** `app v2 (2015.01.02-03.04.05)` */
export function describeDeploy(view: DeployView, service?: string): string {
  const who = [view.service ?? service, view.version].filter(Boolean).join(" ");
  return view.timestamp ? `${who} (${view.timestamp})` : who;
}

/**
 * The log lines worth showing for a failed deploy: the failing instances' own, else the
 * record's (serve keeps the failing instance's tail on the record, as `log_tail`), named
 * after that instance when exactly one failed.
 */
export function failureLogs(view: DeployView): { instance?: string; lines: string[] }[] {
  const out: { instance?: string; lines: string[] }[] = view.instances
    .filter((i) => i.failed && i.logs.length > 0)
    .map((i) => ({ instance: i.instance, lines: i.logs }));
  if (out.length === 0 && view.logs.length > 0) {
    const failed = view.instances.filter((i) => i.failed);
    out.push(failed.length === 1 ? { instance: failed[0].instance, lines: view.logs } : { lines: view.logs });
  }
  return out;
}
