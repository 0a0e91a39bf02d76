/**
 * The ctl HTTP client: one object per invocation holding the server URL, the credentials
 * and the extra CA. Each method sends one request and returns the Response untouched; the
 * commands decide what a status means (they print deployctl's lines, CTL.md).
 */
import { UserError } from "../errors";
import {
  type ApiRequest,
  buildDeployRequest,
  buildDeployStatusRequest,
  buildDeploysRequest,
  buildDestroyRequest,
  buildLocationRequest,
  buildRollbackRequest,
  buildTaskRequest,
  buildUnitsRequest,
  type DeployRequestOptions,
} from "./requests";
import { sendApiRequest } from "./transport";

export interface ClientOptions {
  url: URL;
  username: string;
  password: string;
  extraCa?: string[];
}

/** Validates --url / DEPLOYSTER_URL: http(s) only, with a host. `source` names where it came from. */
export function parseBaseUrl(raw: string, source = "--url"): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
    throw new UserError(`invalid URL "${raw}" (${source}): expected http://HOST[:PORT] or https://HOST[:PORT]`);
  }
  if (url.search || url.hash) throw new UserError(`invalid URL "${raw}" (${source}): no query or fragment allowed`);
  return url;
}

/** The credentials were refused: one line that says so and what to check. */
export class CredentialsRefusedError extends UserError {
  override name = "CredentialsRefusedError";
}

export class DeploysterClient {
  constructor(readonly options: ClientOptions) {}

  get origin(): string {
    return this.options.url.origin;
  }

  private get creds() {
    return { username: this.options.username, password: this.options.password };
  }

  send(req: ApiRequest, idleTimeoutMs?: number | false): Promise<Response> {
    return sendApiRequest(req, { extraCa: this.options.extraCa, ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}) });
  }

  createDeploy(service: string, version: string, options: DeployRequestOptions): Promise<Response> {
    return this.send(buildDeployRequest(this.options.url, this.creds, service, version, options));
  }

  /** The task stream may stay silent as long as the task likes: no idle timeout. */
  createTask(service: string, version: string, command: string): Promise<Response> {
    return this.send(buildTaskRequest(this.options.url, this.creds, service, version, command), false);
  }

  destroyDeploy(service: string, version: string, timestamp?: string): Promise<Response> {
    return this.send(buildDestroyRequest(this.options.url, this.creds, service, version, timestamp));
  }

  getUnits(service: string): Promise<Response> {
    return this.send(buildUnitsRequest(this.options.url, this.creds, service));
  }

  getDeploys(service: string): Promise<Response> {
    return this.send(buildDeploysRequest(this.options.url, this.creds, service));
  }

  getDeploy(service: string, version: string, timestamp?: string): Promise<Response> {
    return this.send(buildDeployStatusRequest(this.options.url, this.creds, service, version, timestamp));
  }

  /** GET of a `Location` the server returned; undefined when it points elsewhere. */
  getLocation(location: string): Promise<Response> | undefined {
    const req = buildLocationRequest(this.options.url, this.creds, location);
    return req ? this.send(req) : undefined;
  }

  rollback(service: string): Promise<Response> {
    return this.send(buildRollbackRequest(this.options.url, this.creds, service));
  }

  /** The error for a 401 answer. */
  credentialsRefused(): CredentialsRefusedError {
    const hint = this.options.password === "" ? "no password was given: " : "";
    return new CredentialsRefusedError(
      `deployster at ${this.origin} refused the credentials of user "${this.options.username}" (401 Unauthorized); ` +
        `${hint}check --username/--password or DEPLOYSTER_USERNAME/DEPLOYSTER_PASSWORD`,
    );
  }
}
