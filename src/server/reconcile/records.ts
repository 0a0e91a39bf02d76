/**
 * What the deploy records say about an instance the reconciler heals. An instance counts as
 * live (worth healing) when its deploy is live or rolling and its record says it was ready;
 * a rollout's own new instances (booting, failed) are the rollout's business.
 */
import type { DeployRecord, InstanceRecord } from "../../api/v1";
import type { DeployLog } from "../records";

export interface InstanceRef {
  service: string;
  version: string;
  timestamp: string;
  instance: number;
  name: string;
}

/** The record entry of one instance, when its deploy is known. */
export function findInstanceRecord(log: DeployLog, i: InstanceRef): { deploy: DeployRecord; entry: InstanceRecord } | undefined {
  const deploy = log.find(i.service, i.version, i.timestamp);
  const entry = deploy?.instances.find((e) => e.instance === String(i.instance) && e.container === i.name);
  return deploy && entry ? { deploy, entry } : undefined;
}

/** True when the instance was serving: its deploy is live or rolling and it was ready. */
export function wasServing(log: DeployLog, i: InstanceRef): boolean {
  const r = findInstanceRecord(log, i);
  return !!r && (r.deploy.state === "live" || r.deploy.state === "rolling") && r.entry.state === "ready";
}

/** True while the deploy still wants its instances (not destroyed, rolled back or failed). */
export function stillWanted(log: DeployLog, i: InstanceRef): boolean {
  const r = findInstanceRecord(log, i);
  return !!r && (r.deploy.state === "live" || r.deploy.state === "rolling") && r.entry.state !== "removed";
}

/** Records that the instance went down and stays down (serve --no-heal). */
export function markLeftDown(log: DeployLog, i: InstanceRef, why: string): void {
  const r = findInstanceRecord(log, i);
  if (!r) return;
  r.entry.state = "failed";
  r.entry.reason = `${why}; unrouted and left down (--no-heal)`;
}

/** Records that the instance went down and is being brought back. */
export function markDown(log: DeployLog, i: InstanceRef, why: string): void {
  const r = findInstanceRecord(log, i);
  if (!r) return;
  r.entry.state = "booting";
  r.entry.reason = `${why}; restarting it`;
}

/** Records a failed attempt (the instance stays down; another attempt follows). */
export function markAttempt(log: DeployLog, i: InstanceRef, why: string, attempt: number, failure: string): void {
  const r = findInstanceRecord(log, i);
  if (!r) return;
  r.entry.state = "booting";
  r.entry.reason = `${why}; restart ${attempt} did not make it ready (${failure}); trying again`;
}

/** Records that the instance serves again. */
export function markUp(log: DeployLog, i: InstanceRef, why: string, attempts: number, at = new Date()): void {
  const r = findInstanceRecord(log, i);
  if (!r) return;
  r.entry.state = "ready";
  r.entry.reason = `${why}; restarted (${attempts} attempt${attempts === 1 ? "" : "s"}), ready and routed again at ${at.toISOString()}`;
}

/** Records that the container is gone (removed from outside, or never coming back). */
export function markRemoved(log: DeployLog, i: InstanceRef, why: string): void {
  const r = findInstanceRecord(log, i);
  if (!r) return;
  r.entry.state = "removed";
  r.entry.reason = why;
}
