/** Swarm tasks (GET /tasks) through a manager. */
import type { DockerClient } from "./client";
import { isNotFound } from "./errors";
import type { SwarmTask } from "./types";

export interface ListTasksOptions {
  services?: string[];
  desiredState?: ("running" | "shutdown" | "accepted")[];
}

/**
 * Tasks of the given services, in one request however many; none when `services` is empty.
 * The engine answers 404 for the whole request when one of the services is gone (removed
 * meanwhile): the tasks are then listed unfiltered and picked by service ID here.
 */
export async function listServiceTasks(d: DockerClient, o: ListTasksOptions = {}): Promise<SwarmTask[]> {
  if (o.services && o.services.length === 0) return [];
  const filters: Record<string, string[]> = {};
  if (o.desiredState) filters["desired-state"] = o.desiredState;
  const get = (f: Record<string, string[]>) => d.json<SwarmTask[]>("GET", "/tasks", { query: { filters: Object.keys(f).length ? f : undefined } });
  if (!o.services) return get(filters);
  try {
    return await get({ ...filters, service: o.services });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const ids = new Set(o.services);
    return (await get(filters)).filter((t) => ids.has(t.ServiceID));
  }
}
