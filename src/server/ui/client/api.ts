/// <reference lib="dom" />
/**
 * The page's requests: same-origin only (the browser sends its cached basic-auth
 * credentials and the Origin/Sec-Fetch-Site headers the server's cross-site guard checks).
 */
import type { ErrorBody, ServicesResponse, TasksResponse } from "../../../api/v1";
import type { ServiceView, TaskRecord } from "./model";

async function describeFailure(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (body.description) return body.description;
  } catch {}
  return `${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ""}`;
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!res.ok) throw new Error(await describeFailure(res));
  return (await res.json()) as T;
}

export async function loadSnapshot(): Promise<{ services: ServiceView[]; tasks: TaskRecord[] }> {
  const [s, t] = await Promise.all([getJson<ServicesResponse>("/v1/services"), getJson<TasksResponse>("/v1/tasks")]);
  return { services: s.services, tasks: t.tasks };
}

const seg = encodeURIComponent;

/** POST .../rollback; resolves with a message for the user, throws with the server's reason. */
export async function requestRollback(service: string): Promise<string> {
  const res = await fetch(`/v1/services/${seg(service)}/rollback`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: "{}",
  });
  if (res.status !== 201) throw new Error(await describeFailure(res));
  return `Rollback of ${service} started.`;
}

export async function requestDestroy(service: string, version: string, timestamp: string): Promise<string> {
  const res = await fetch(`/v1/services/${seg(service)}/deploys/${seg(version)}?timestamp=${seg(timestamp)}`, {
    method: "DELETE",
    headers: { Accept: "application/json" },
  });
  if (res.status !== 204) throw new Error(await describeFailure(res));
  return `${service} ${version} (${timestamp}) destroyed.`;
}
