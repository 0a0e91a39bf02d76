/**
 * The HTTP app: authenticate every request first (unknown paths and methods too, so a 404 or
 * 405 tells nothing to a caller without credentials), then
 * route, validate and dispatch. Handlers throw HttpError for 4xx; anything else is a 500
 * with the reason, logged, and never takes the server down.
 */
import { isAuthorized, unauthorizedResponse } from "./auth";
import type { ServerContext } from "./context";
import { destroyDeploy, listDeploys, rollbackDeploy, showDeploy, startDeploy } from "./handlers/deploys";
import { listUnits } from "./handlers/units";
import { showConfig } from "./handlers/config";
import { runTask } from "./handlers/tasks";
import { crossSiteReason, requireJsonContentType } from "./guard";
import { errorResponse, HttpError, readJsonBody } from "./http";
import { matchRoute } from "./routes";
import { handleUiRoute, isPageNavigation, isUiRoute } from "./ui/handlers";
import type { RequestControl } from "./http";
import { openApiResponse } from "./openapi";
import { checkServiceName, checkTimestamp, checkVersion, parseDeployBody, parseTaskBody } from "./validate";
import { VERSION } from "../version";
import { DockerApiError, DockerUnreachableError } from "../docker/errors";

/**
 * The idle deadline of an authenticated request: lifted while it is handled (a DELETE waits
 * for a rollout to stop, a task streams for as long as it runs, silent or not) and given
 * back once its answer is complete, so the keep-alive connection idles out as any other.
 * Unauthenticated requests never lose it.
 */
interface IdleDeadline {
  lift(): void;
  restore(): void;
  /** Set when a stream outlives the handler and gives the deadline back itself. */
  streaming: boolean;
}

function idleDeadline(req: Request, control: RequestControl | undefined, seconds: number): IdleDeadline {
  return {
    lift: () => control?.timeout(req, 0),
    restore: () => control?.timeout(req, seconds),
    streaming: false,
  };
}

export type FetchHandler = (req: Request, control?: RequestControl) => Promise<Response>;

export function createApp(server: ServerContext): FetchHandler {
  const credentials = { username: server.config.username, password: server.config.password };
  return async (req, control) => {
    if (!isAuthorized(req.headers.get("authorization"), credentials)) return unauthorizedResponse();
    const crossSite = crossSiteReason(req.headers);
    if (crossSite && !isPageNavigation(req)) return errorResponse(403, crossSite);
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return errorResponse(400, "The request URL is malformed.");
    }
    const deadline = idleDeadline(req, control, server.config.limits.idleTimeoutS);
    deadline.lift();
    try {
      return await dispatch(server, req, url, deadline);
    } catch (err) {
      if (err instanceof HttpError) return errorResponse(err.status, err.message, err.headers);
      if (err instanceof DockerUnreachableError) return errorResponse(503, err.message);
      const message = err instanceof DockerApiError || err instanceof DockerUnreachableError ? err.message : (err as Error)?.message ?? String(err);
      server.logger.warn(`${req.method} ${url.pathname}: ${message}${server.config.verbose && (err as Error)?.stack ? `\n${(err as Error).stack}` : ""}`);
      return errorResponse(500, message);
    } finally {
      if (!deadline.streaming) deadline.restore();
    }
  };
}

function timestampQuery(url: URL): string | undefined {
  const ts = url.searchParams.get("timestamp");
  return ts === null || ts === "" ? undefined : checkTimestamp(ts);
}

async function readJson(req: Request): Promise<unknown> {
  requireJsonContentType(req);
  return readJsonBody(req);
}

async function dispatch(server: ServerContext, req: Request, url: URL, deadline: IdleDeadline): Promise<Response> {
  const m = matchRoute(req.method, url.pathname);
  if (m.kind === "badPath") return errorResponse(400, "The request path is not valid percent-encoding.");
  if (m.kind === "notFound") return errorResponse(404, `${url.pathname} was not found.`);
  if (m.kind === "methodNotAllowed") {
    return errorResponse(405, `${req.method} is not allowed on ${url.pathname}.`, { Allow: m.allow.join(", ") });
  }
  const { name, params } = m;
  if (name === "version") return new Response(`${VERSION}\n`, { headers: { "Content-Type": "text/plain" } });
  if (name === "openapi") return openApiResponse();
  // The page, its assets, the event stream and the task list need no engine; the overview does.
  const needsEngine = isUiRoute(name) ? name === "listServices" : name !== "listDeploys" && name !== "showDeploy" && name !== "showConfig";
  if (server.engineDown && needsEngine) await checkEngine(server);
  // The event stream lifts its idle deadline for as long as it is watched: keep it lifted.
  if (isUiRoute(name)) {
    const timeout = (_req: Request, seconds: number) => {
      if (seconds === 0) deadline.streaming = true;
      else deadline.restore();
    };
    return handleUiRoute(server, name, params, req, url, { timeout });
  }
  const service = checkServiceName(params.name!);
  switch (name) {
    case "createDeploy":
      return startDeploy(server, service, parseDeployBody(await readJson(req)));
    case "listDeploys":
      return listDeploys(server, service);
    case "showDeploy":
      return showDeploy(server, service, checkVersion(params.version!), timestampQuery(url));
    case "destroyDeploy":
      return destroyDeploy(server, service, checkVersion(params.version!), timestampQuery(url));
    case "listUnits":
      return listUnits(server, service);
    case "runTask": {
      const res = await runTask(server, service, parseTaskBody(await readJson(req)), req, deadline.restore);
      deadline.streaming = res.status === 200;
      return res;
    }
    case "rollback":
      return rollbackDeploy(server, service);
    case "showConfig": {
      const version = url.searchParams.get("version");
      return showConfig(server, service, version === null || version === "" ? undefined : checkVersion(version));
    }
  }
}

/** While the reconcile loop finds the engine gone, a request that needs it first checks it is back (503 otherwise). */
async function checkEngine(server: ServerContext): Promise<void> {
  try {
    await server.docker.ping(AbortSignal.timeout(2000));
  } catch (err) {
    const why = err instanceof DockerUnreachableError ? err.message : `the Docker engine does not answer: ${(err as Error).message}`;
    throw new HttpError(503, why);
  }
}
