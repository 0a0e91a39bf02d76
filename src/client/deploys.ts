/**
 * Deploy records as ctl reads them (GET /v1/services/{name}/deploys[/{version}]): the
 * server's `{deploy: {...}}` and `{deploys: [...]}` bodies (src/api/v1.ts), read by the
 * server's own field names and nothing else. The answer is untrusted JSON: a record whose
 * fields do not have the wire types is not a record. Only `version` and `state` are
 * required; a missing list reads as empty.
 */
import { isJsonObject, type JsonFields } from "../api/json";
import { type DeployRecord, type InstanceRecord, isDeployState, isInstanceProgress } from "../api/v1";

/** The part of an instance's record ctl shows. */
export type InstanceView = Pick<InstanceRecord, "instance" | "state"> & Partial<Pick<InstanceRecord, "container" | "reason">>;

/** The part of a deploy record ctl shows. */
export type DeployView = Pick<DeployRecord, "version" | "state" | "log_tail"> &
  Partial<Pick<DeployRecord, "service" | "timestamp" | "reason">> & { instances: InstanceView[] };

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/** A string field that may be absent or null; undefined when it has another type. */
function optionalText(o: JsonFields, key: string): { ok: boolean; value?: string } {
  const v = o[key];
  if (v === undefined || v === null) return { ok: true };
  return typeof v === "string" ? { ok: true, value: v } : { ok: false };
}

function readInstance(raw: unknown): InstanceView | undefined {
  if (!isJsonObject(raw) || typeof raw.instance !== "string" || !isInstanceProgress(raw.state)) return undefined;
  const container = optionalText(raw, "container");
  const reason = optionalText(raw, "reason");
  if (!container.ok || !reason.ok) return undefined;
  return {
    instance: raw.instance,
    state: raw.state,
    ...(container.value ? { container: container.value } : {}),
    ...(reason.value ? { reason: reason.value } : {}),
  };
}

/** One record (the inside of `{deploy: ...}` or an item of `deploys`); undefined when it is not one. */
export function readDeployRecord(raw: unknown): DeployView | undefined {
  if (!isJsonObject(raw) || typeof raw.version !== "string" || !isDeployState(raw.state)) return undefined;
  const service = optionalText(raw, "service");
  const timestamp = optionalText(raw, "timestamp");
  const reason = optionalText(raw, "reason");
  const logTail = raw.log_tail ?? [];
  const rawInstances = raw.instances ?? [];
  if (!service.ok || !timestamp.ok || !reason.ok || !isStringList(logTail) || !Array.isArray(rawInstances)) return undefined;
  const instances = rawInstances.map(readInstance);
  if (!instances.every((i): i is InstanceView => i !== undefined)) return undefined;
  return {
    ...(service.value ? { service: service.value } : {}),
    version: raw.version,
    ...(timestamp.value ? { timestamp: timestamp.value } : {}),
    state: raw.state,
    ...(reason.value ? { reason: reason.value } : {}),
    instances,
    log_tail: logTail,
  };
}

/** The record of a `{deploy: {...}}` answer (DeployResponse); undefined when it is not one. */
export function readDeployResponse(doc: unknown): DeployView | undefined {
  return isJsonObject(doc) ? readDeployRecord(doc.deploy) : undefined;
}

/** The records of a `{deploys: [...]}` answer (DeployListResponse), items that are no record left out; undefined when it is not one. */
export function readDeployList(doc: unknown): DeployView[] | undefined {
  if (!isJsonObject(doc) || !Array.isArray(doc.deploys)) return undefined;
  return doc.deploys.map(readDeployRecord).filter((v): v is DeployView => v !== undefined);
}

export function countReady(view: DeployView): { ready: number; total: number } {
  return { ready: view.instances.filter((i) => i.state === "ready").length, total: view.instances.length };
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
 * The log lines worth showing for a failed deploy: the failing instance's tail the server
 * keeps on the record (`log_tail`), named after that instance when exactly one failed.
 */
export function failureLogs(view: DeployView): { instance?: string; lines: string[] }[] {
  if (view.log_tail.length === 0) return [];
  const failed = view.instances.filter((i) => i.state === "failed");
  return [failed.length === 1 ? { instance: failed[0]!.instance, lines: view.log_tail } : { lines: view.log_tail }];
}
