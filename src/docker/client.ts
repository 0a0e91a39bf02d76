import { negotiateApiVersion } from "./api-version";
import { describeConnectError, DockerUnreachableError, isNotFound, toApiError } from "./errors";
import { parseDockerHost, type DockerHost } from "./host";

export interface RequestOptions {
  query?: Record<string, unknown>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * Ends the call (headers and body) after this long. Undefined: the client's default
   * (`DockerClientOptions.defaultTimeoutMs`); 0: none, for streams that last as long as
   * they must (wait, events, attach, logs --follow, pull, push).
   */
  timeoutMs?: number;
  /** Statuses that are not errors for this call (e.g. 304 on start, 404 on remove). */
  okStatuses?: number[];
}

/** Encodes query values: objects become JSON (the engine's `filters`), undefined is dropped. */
export function buildQuery(query: Record<string, unknown> | undefined): string {
  if (!query) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    p.set(k, typeof v === "object" ? JSON.stringify(v) : typeof v === "boolean" ? (v ? "1" : "0") : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

export interface DockerClientOptions {
  /** Timeout of every call that does not choose its own (0 or absent: none). */
  defaultTimeoutMs?: number;
}

/**
 * A Docker Engine API client over a unix socket or TCP (+TLS). The API version is
 * negotiated once from /_ping and then prefixed to every path.
 */
export class DockerClient {
  private versionPromise?: Promise<string>;

  constructor(readonly host: DockerHost, readonly options: DockerClientOptions = {}) {}

  static fromEnv(env: Record<string, string | undefined> = process.env, options: DockerClientOptions = {}): DockerClient {
    return new DockerClient(parseDockerHost(env), options);
  }

  get target(): string {
    return this.host.target;
  }

  /** The negotiated API version (cached). */
  apiVersion(): Promise<string> {
    this.versionPromise ??= this.ping().then((h) => negotiateApiVersion(h.apiVersion));
    this.versionPromise.catch(() => (this.versionPromise = undefined));
    return this.versionPromise;
  }

  /** GET /_ping (unversioned): engine reachable? Returns the API-Version header. */
  async ping(signal?: AbortSignal): Promise<{ apiVersion: string | null }> {
    const res = await this.rawFetch("GET", "/_ping", { signal, timeoutMs: 10_000 });
    if (!res.ok) throw await toApiError(res, "GET", "/_ping");
    await res.arrayBuffer();
    return { apiVersion: res.headers.get("api-version") };
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const version = await this.apiVersion();
    const res = await this.rawFetch(method, `/v${version}${path}`, opts);
    if (res.status >= 400 && !opts.okStatuses?.includes(res.status)) throw await toApiError(res, method, path);
    return res;
  }

  async json<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** GET of one object (`/containers/{id}/json` and the like); null when the engine answers 404. */
  async inspect<T>(path: string, opts: RequestOptions = {}): Promise<T | null> {
    try {
      return await this.json<T>("GET", path, opts);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** A request whose body is drained and ignored (204s and friends). */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<number> {
    const res = await this.request(method, path, opts);
    await res.arrayBuffer();
    return res.status;
  }

  /** Fetch options that reach this engine (unix socket or TLS), for hijacked/raw uses too. */
  fetchInit(): Record<string, unknown> {
    const h = this.host;
    if (h.kind === "unix") return { unix: h.socketPath };
    if (h.tls) return { tls: { ca: h.tls.ca, cert: h.tls.cert, key: h.tls.key, rejectUnauthorized: h.tls.verify } };
    return {};
  }

  baseUrl(): string {
    return this.host.kind === "unix" ? "http://docker" : this.host.baseUrl;
  }

  private async rawFetch(method: string, pathAndVersion: string, opts: RequestOptions): Promise<Response> {
    const url = `${this.baseUrl()}${pathAndVersion}${buildQuery(opts.query)}`;
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    const timeoutMs = opts.timeoutMs ?? this.options.defaultTimeoutMs;
    const signals = [opts.signal, timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined].filter(
      (s): s is AbortSignal => !!s,
    );
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    try {
      return await fetch(url, { method, headers, body, signal, ...this.fetchInit() } as RequestInit);
    } catch (err) {
      if ((err as Error)?.name === "AbortError" || (err as Error)?.name === "TimeoutError") throw err;
      const reason = describeConnectError(err);
      if (reason) throw new DockerUnreachableError(this.target, reason);
      throw err;
    }
  }
}
