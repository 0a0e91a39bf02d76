/**
 * Pure request builders for the v1 API (spec api-v1.md sections 3 and 6.8). They only
 * assemble data (method, URL, headers, JSON body) so they can be tested as values; the
 * transport (transport.ts) sends them. Every path segment is escaped with
 * encodeURIComponent: a service called `a/b` must not turn into another path.
 */
import type { DeployRequestBody, RollbackRequestBody, TaskRequestBody } from "../api/v1";
import { UserError } from "../errors";
import { VERSION } from "../version";

export interface ApiCredentials {
  username: string;
  password: string;
}

export interface ApiRequest {
  method: "GET" | "POST" | "DELETE";
  url: string;
  headers: Record<string, string>;
  /** JSON text, when the request has a body. */
  body?: string;
}

export interface DeployRequestOptions {
  destroyPrevious: boolean;
  /** 0 = as many as the previous version (server default). */
  instanceCount: number;
  /** `YYYY.MM.DD-hh.mm.ss`; omitted = the server's "now". */
  timestamp?: string;
}

/** Joins the base URL (which may carry a path prefix) with an API path. */
export function joinApiUrl(baseUrl: URL | string, path: string, query?: Record<string, string | undefined>): string {
  const base = new URL(String(baseUrl));
  const prefix = base.pathname.replace(/\/+$/, "");
  const url = new URL(base.origin + prefix + path);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

/**
 * One escaped path segment. `.` and `..` survive encodeURIComponent (and even %2E%2E is a
 * dot segment to a URL parser), so they would address another path: refused.
 */
export function escapeSegment(segment: string, what = "name"): string {
  if (segment === "." || segment === "..") throw new UserError(`invalid ${what} "${segment}"`);
  return encodeURIComponent(segment);
}

/** `/v1/services/<service>` with the service escaped. */
export function servicePath(service: string): string {
  return `/v1/services/${escapeSegment(service, "service name")}`;
}

/** `/v1/services/{name}/deploys/{version}`, both segments escaped. */
function deployPath(service: string, version: string): string {
  return `${servicePath(service)}/deploys/${escapeSegment(version, "version")}`;
}

export function basicAuthHeader(creds: ApiCredentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, "utf8").toString("base64")}`;
}

function buildRequest(
  baseUrl: URL | string,
  creds: ApiCredentials,
  method: ApiRequest["method"],
  path: string,
  options: { body?: unknown; query?: Record<string, string | undefined> } = {},
): ApiRequest {
  const headers: Record<string, string> = {
    Authorization: basicAuthHeader(creds),
    "User-Agent": `deployctl/${VERSION} (deployster)`,
  };
  const req: ApiRequest = { method, url: joinApiUrl(baseUrl, path, options.query), headers };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    req.body = JSON.stringify(options.body);
  }
  return req;
}

/** POST /v1/services/{name}/deploys */
export function buildDeployRequest(
  baseUrl: URL | string,
  creds: ApiCredentials,
  service: string,
  version: string,
  options: DeployRequestOptions,
): ApiRequest {
  const body: DeployRequestBody = {
    deploy: {
      version,
      destroy_previous: options.destroyPrevious,
      instance_count: options.instanceCount,
      ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
    },
  };
  return buildRequest(baseUrl, creds, "POST", `${servicePath(service)}/deploys`, { body });
}

/** POST /v1/services/{name}/tasks; `command` is the task's words joined by single spaces. */
export function buildTaskRequest(
  baseUrl: URL | string,
  creds: ApiCredentials,
  service: string,
  version: string,
  command: string,
): ApiRequest {
  const body: TaskRequestBody = { task: { version, command } };
  return buildRequest(baseUrl, creds, "POST", `${servicePath(service)}/tasks`, { body });
}

/** DELETE /v1/services/{name}/deploys/{version}[?timestamp=TS] */
export function buildDestroyRequest(
  baseUrl: URL | string,
  creds: ApiCredentials,
  service: string,
  version: string,
  timestamp?: string,
): ApiRequest {
  return buildRequest(baseUrl, creds, "DELETE", deployPath(service, version), {
    query: { timestamp },
  });
}

/** GET /v1/services/{name}/units */
export function buildUnitsRequest(baseUrl: URL | string, creds: ApiCredentials, service: string): ApiRequest {
  return buildRequest(baseUrl, creds, "GET", `${servicePath(service)}/units`);
}

/** GET /v1/services/{name}/deploys (recent deploys, spec 6.8) */
export function buildDeploysRequest(baseUrl: URL | string, creds: ApiCredentials, service: string): ApiRequest {
  return buildRequest(baseUrl, creds, "GET", `${servicePath(service)}/deploys`);
}

/** GET /v1/services/{name}/deploys/{version}[?timestamp=TS] (spec 6.8) */
export function buildDeployStatusRequest(
  baseUrl: URL | string,
  creds: ApiCredentials,
  service: string,
  version: string,
  timestamp?: string,
): ApiRequest {
  return buildRequest(baseUrl, creds, "GET", deployPath(service, version), {
    query: { timestamp },
  });
}

/**
 * GET of a status URL the server handed out (the `Location` header of a 201). A relative
 * Location is resolved against the base URL; when the base URL has a path prefix (a proxy
 * mounting deployster under /deployster) and the server's absolute path lacks it, the
 * prefix is added. One on another origin is refused, so that the credentials never travel
 * to a host the user did not name.
 */
export function buildLocationRequest(baseUrl: URL | string, creds: ApiCredentials, location: string): ApiRequest | undefined {
  const base = new URL(String(baseUrl));
  const prefix = base.pathname.replace(/\/+$/, "");
  const path = prefix && location.startsWith("/") && !location.startsWith(`${prefix}/`) ? prefix + location : location;
  let target: URL;
  try {
    target = new URL(path, `${base.origin}${prefix}/`);
  } catch {
    return undefined;
  }
  if (target.origin !== base.origin) return undefined;
  const req = buildRequest(base, creds, "GET", "/");
  req.url = target.href;
  return req;
}

/** POST /v1/services/{name}/rollback (spec 6.8) */
export function buildRollbackRequest(baseUrl: URL | string, creds: ApiCredentials, service: string): ApiRequest {
  const body: RollbackRequestBody = {};
  return buildRequest(baseUrl, creds, "POST", `${servicePath(service)}/rollback`, { body });
}
