/**
 * The route table (pure): which handler a method and path select. Unknown paths → 404,
 * known paths with another method → 405 with Allow. Authentication happens before this
 * (app.ts), so 404 and 405 are only ever seen by authenticated clients.
 */
export type RouteName =
  | "version"
  | "createDeploy"
  | "listDeploys"
  | "showDeploy"
  | "destroyDeploy"
  | "listUnits"
  | "runTask"
  | "rollback"
  | "showConfig"
  | "openapi"
  | "page"
  | "pageAsset"
  | "events"
  | "listServices"
  | "listTasks";

interface RouteDef {
  method: string;
  pattern: string[];
  name: RouteName;
}

export const ROUTES: readonly RouteDef[] = [
  { method: "GET", pattern: ["v1", "version"], name: "version" },
  { method: "GET", pattern: ["v1", "openapi.json"], name: "openapi" },
  { method: "POST", pattern: ["v1", "services", ":name", "deploys"], name: "createDeploy" },
  { method: "GET", pattern: ["v1", "services", ":name", "deploys"], name: "listDeploys" },
  { method: "GET", pattern: ["v1", "services", ":name", "deploys", ":version"], name: "showDeploy" },
  { method: "DELETE", pattern: ["v1", "services", ":name", "deploys", ":version"], name: "destroyDeploy" },
  { method: "GET", pattern: ["v1", "services", ":name", "units"], name: "listUnits" },
  { method: "POST", pattern: ["v1", "services", ":name", "tasks"], name: "runTask" },
  { method: "POST", pattern: ["v1", "services", ":name", "rollback"], name: "rollback" },
  { method: "GET", pattern: ["v1", "services", ":name", "config"], name: "showConfig" },
  // The status page and what it reads (src/server/ui).
  { method: "GET", pattern: [""], name: "page" },
  { method: "GET", pattern: ["ui", ":asset"], name: "pageAsset" },
  { method: "GET", pattern: ["v1", "events"], name: "events" },
  { method: "GET", pattern: ["v1", "services"], name: "listServices" },
  { method: "GET", pattern: ["v1", "tasks"], name: "listTasks" },
];

export type RouteMatch =
  | { kind: "found"; name: RouteName; params: Record<string, string> }
  | { kind: "notFound" }
  | { kind: "methodNotAllowed"; allow: string[] }
  /** A path segment that is not valid percent-encoding. */
  | { kind: "badPath" };

function matchPattern(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith(":")) params[p.slice(1)] = s;
    else if (p !== s) return undefined;
  }
  return params;
}

/** `pathname` as the URL gives it (still percent-encoded). */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const raw = pathname.split("/").slice(1);
  let segments: string[];
  try {
    segments = raw.map((s) => decodeURIComponent(s));
  } catch {
    return { kind: "badPath" };
  }
  const allow: string[] = [];
  for (const r of ROUTES) {
    const params = matchPattern(r.pattern, segments);
    if (!params) continue;
    if (r.method === method) return { kind: "found", name: r.name, params };
    allow.push(r.method);
  }
  return allow.length ? { kind: "methodNotAllowed", allow } : { kind: "notFound" };
}
