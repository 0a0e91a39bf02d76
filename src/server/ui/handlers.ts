/**
 * The status page's routes: the page and its two assets, the event stream, and the
 * read-only overviews it loads (every service's units and deploys, recent tasks). All of
 * them sit behind the same authentication and cross-site guard as the rest of the API.
 */
import type { ServicesResponse, TasksResponse } from "../../api/v1";
import type { RequestControl } from "../http";
import type { ServerContext } from "../context";
import { errorResponse, jsonResponse } from "../http";
import type { RouteName } from "../routes";
import { checkServiceName } from "../validate";
import { collectOverview } from "./overview";
import { pageAsset, pageResponse } from "./page";
import { createEventStream, eventStreamResponse } from "./sse";

const UI_ROUTES = ["page", "pageAsset", "events", "listServices", "listTasks"] as const;
export type UiRouteName = (typeof UI_ROUTES)[number];

export function isUiRoute(name: RouteName): name is UiRouteName {
  return (UI_ROUTES as readonly string[]).includes(name);
}

/**
 * A top-level browser navigation to the page itself (e.g. a link in a chat or a wiki). It
 * may come from another site: it changes nothing, its answer is never readable by that
 * site, and the page refuses to be framed. Everything else stays behind the cross-site guard.
 */
export function isPageNavigation(req: Request): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (req.headers.get("sec-fetch-mode") !== "navigate" || req.headers.get("sec-fetch-dest") !== "document") return false;
  try {
    return new URL(req.url).pathname === "/";
  } catch {
    return false;
  }
}

export async function handleUiRoute(
  server: ServerContext,
  name: UiRouteName,
  params: Record<string, string>,
  req: Request,
  url: URL,
  control?: RequestControl,
): Promise<Response> {
  switch (name) {
    case "page":
      return pageResponse();
    case "pageAsset":
      return pageAsset(params.asset!) ?? errorResponse(404, `${url.pathname} was not found.`);
    case "events": {
      const raw = url.searchParams.get("service");
      const service = raw === null || raw === "" ? undefined : checkServiceName(raw);
      if (server.shutdown.aborted) return errorResponse(503, "The server is shutting down.");
      if (!server.events.canSubscribe()) {
        return errorResponse(429, `${server.events.maxSubscribers} event streams are open already.  Try again when one has closed.`, { "Retry-After": "5" });
      }
      // A watcher is silent between changes (heartbeats aside): no idle deadline for it.
      control?.timeout(req, 0);
      const stream = createEventStream(server.events, { service, signal: AbortSignal.any([req.signal, server.shutdown]) });
      return eventStreamResponse(stream);
    }
    case "listServices": {
      const body: ServicesResponse = { services: await collectOverview(server) };
      return jsonResponse(200, body);
    }
    case "listTasks": {
      const body: TasksResponse = { tasks: server.taskLog.list() };
      return jsonResponse(200, body);
    }
  }
}
