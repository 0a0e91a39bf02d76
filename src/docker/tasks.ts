/** Swarm tasks (GET /tasks) through a manager. */
import type { DockerClient } from "./client";

export interface ListTasksOptions {
  services?: string[];
  desiredState?: ("running" | "shutdown" | "accepted")[];
}

/** Tasks of the given services, in one request however many; none when `services` is empty. */
export async function listTasks(d: DockerClient, o: ListTasksOptions = {}): Promise<any[]> {
  if (o.services && o.services.length === 0) return [];
  const filters: Record<string, string[]> = {};
  if (o.services) filters.service = o.services;
  if (o.desiredState) filters["desired-state"] = o.desiredState;
  return d.json<any[]>("GET", "/tasks", { query: { filters: Object.keys(filters).length ? filters : undefined } });
}
