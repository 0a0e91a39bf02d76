/**
 * The HTTP app: authenticate every request first (decision 10: 404 and 405 included), then
 * route, validate and dispatch. Handlers throw HttpError for 4xx; anything else is a 500
 * with the reason, logged, and never takes the server down.
 */
import { isAuthorized, unauthorizedResponse } from "./auth";
import type { ServerContext } from "./context";
import { destroyDeploy, listDeploys, rollbackDeploy, showDeploy, startDeploy } from "./handlers/deploys";
import { listUnits } from "./handlers/units";
import { runTask } from "./handlers/tasks";
import { errorResponse, HttpError, readJsonBody } from "./http";
import { matchRoute } from "./routes";
import { openApiResponse } from "./openapi";
import { checkServiceName, checkTimestamp, checkVersion, parseDeployBody, parseTaskBody } from "./validate";
import { VERSION } from "../version";
import { DockerApiError, DockerUnreachableError } from "../docker/errors";

export type FetchHandler = (req: Request) => Promise<Response>;

export function createApp(ctx: ServerContext): FetchHandler {
  const credentials = { username: ctx.config.username, password: ctx.config.password };
  return async (req) => {
    if (!isAuthorized(req.headers.get("authorization"), credentials)) return unauthorizedResponse();
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return errorResponse(400, "The request URL is malformed.");
    }
    try {
      return await dispatch(ctx, req, url);
    } catch (err) {
      if (err instanceof HttpError) return errorResponse(err.status, err.message, err.headers);
      const message = err instanceof DockerApiError || err instanceof DockerUnreachableError ? err.message : (err as Error)?.message ?? String(err);
      ctx.logger.warn(`${req.method} ${url.pathname}: ${message}${ctx.config.verbose && (err as Error)?.stack ? `\n${(err as Error).stack}` : ""}`);
      return errorResponse(500, message);
    }
  };
}

function timestampQuery(url: URL): string | undefined {
  const ts = url.searchParams.get("timestamp");
  return ts === null || ts === "" ? undefined : checkTimestamp(ts);
}

async function dispatch(ctx: ServerContext, req: Request, url: URL): Promise<Response> {
  const m = matchRoute(req.method, url.pathname);
  if (m.kind === "badPath") return errorResponse(400, "The request path is not valid percent-encoding.");
  if (m.kind === "notFound") return errorResponse(404, `${url.pathname} was not found.`);
  if (m.kind === "methodNotAllowed") {
    return errorResponse(405, `${req.method} is not allowed on ${url.pathname}.`, { Allow: m.allow.join(", ") });
  }
  const { name, params } = m;
  if (name === "version") return new Response(`${VERSION}\n`, { headers: { "Content-Type": "text/plain" } });
  if (name === "openapi") return openApiResponse();
  const service = checkServiceName(params.name!);
  switch (name) {
    case "createDeploy":
      return startDeploy(ctx, service, parseDeployBody(await readJsonBody(req)));
    case "listDeploys":
      return listDeploys(ctx, service);
    case "showDeploy":
      return showDeploy(ctx, service, checkVersion(params.version!), timestampQuery(url));
    case "destroyDeploy":
      return destroyDeploy(ctx, service, checkVersion(params.version!), timestampQuery(url));
    case "listUnits":
      return listUnits(ctx, service);
    case "runTask":
      return runTask(ctx, service, parseTaskBody(await readJsonBody(req)), req);
    case "rollback":
      return rollbackDeploy(ctx, service);
  }
}
