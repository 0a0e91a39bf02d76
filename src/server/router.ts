/**
 * Routing through Caddy's admin API (Vulcand's role, spec decision 5). Each service gets one
 * route `{"@id": "deployster-route-<service>.<domain>", "match": [{"host": ["<service>.<domain>"]}]}`
 * with one reverse_proxy handler (`@id` deployster-proxy-...) whose upstreams are the ready
 * instances' published ports. The stable @ids let every change address the route directly
 * (`/id/<id>/upstreams`), without indexes that shift. Caddy is the only state: each change
 * reads the current upstreams and writes the new list, serialized per service.
 *
 * Changes are coalesced per service for BATCH_MS: every admin API change makes Caddy reload
 * its whole configuration, which closes its idle client keep-alive connections (a client
 * that sends on one at that instant sees a reset). Instances of one rollout become ready
 * and are retired within milliseconds of each other, so a rollout costs two reloads, not
 * two per instance.
 */
import { fieldsOf } from "../api/json";
import { type $Fetch, createFetch } from "ofetch";
import { KeyedMutex } from "./mutex";

export interface Router {
  /** Human name for logs. */
  readonly description: string;
  /** Adds `dial` (host:port) to the service's upstreams; creates the route when missing. */
  addUpstream(service: string, dial: string): Promise<void>;
  /** Removes `dial`; the route goes when its last upstream goes. Resolves once Caddy stopped sending new requests to it. */
  removeUpstream(service: string, dial: string): Promise<void>;
  /** The service's current upstreams (dial addresses). */
  upstreams(service: string): Promise<string[]>;
  /** Checks the admin API answers. */
  ping(): Promise<void>;
}

export class RouterError extends Error {
  override name = "RouterError";
}

export interface CaddyRouterOptions {
  adminUrl: string;
  domain: string;
  /** Server in apps.http.servers to add routes to (default: srv0 if present, else the first). */
  server?: string;
  fetch?: typeof fetch;
}

export function routeId(service: string, domain: string): string {
  return `deployster-route-${service}.${domain}`;
}

export function proxyId(service: string, domain: string): string {
  return `deployster-proxy-${service}.${domain}`;
}

/**
 * The route for one service, as Caddy JSON. try_duration: a failed dial is retried on another
 * upstream. retry_match: an idempotent request (GET, HEAD, OPTIONS) whose upstream accepted
 * the connection and then failed (an instance that died mid-request, or the port proxy of a
 * dead container) is retried on another upstream instead of answering 502. The retry pause
 * is short because a configuration change (every upstream change is one) cancels the retries
 * still waiting under the old configuration: a request that hit an instance as it died must
 * be retried before the router learns of the death. Passive health: an upstream that failed
 * is skipped for a second, so the requests that follow do not need a retry at all.
 */
export function buildRoute(service: string, domain: string, dials: string[]): Record<string, unknown> {
  return {
    "@id": routeId(service, domain),
    match: [{ host: [`${service}.${domain}`] }],
    handle: [
      {
        handler: "reverse_proxy",
        "@id": proxyId(service, domain),
        upstreams: dials.map((dial) => ({ dial })),
        load_balancing: { selection_policy: { policy: "round_robin" }, try_duration: "5s", try_interval: "20ms", retry_match: [{ method: ["GET", "HEAD", "OPTIONS"] }] },
        health_checks: { passive: { fail_duration: "1s", max_fails: 1 } },
      },
    ],
    terminal: true,
  };
}

/** An upstream's `dial` (`host:port`); undefined when the item has none. */
function dialOf(upstream: unknown): string | undefined {
  const dial = fieldsOf(upstream)?.dial;
  return typeof dial === "string" ? dial : undefined;
}

/** Index of the first route not created by deployster whose host matcher names `host` exactly; -1 when none. */
export function findHostRoute(routes: unknown[], host: string): number {
  const want = host.toLowerCase();
  return routes.findIndex((raw) => {
    const r = fieldsOf(raw);
    if (!r || String(r["@id"] ?? "").startsWith("deployster-route-")) return false;
    const matchers: unknown[] = Array.isArray(r.match) ? r.match : [];
    return matchers.some((m) => {
      const hosts = fieldsOf(m)?.host;
      return Array.isArray(hosts) && hosts.some((h: unknown) => String(h).toLowerCase() === want);
    });
  });
}

const BATCH_MS = 30;

interface PendingChange {
  adds: Set<string>;
  removes: Set<string>;
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

export class CaddyRouter implements Router {
  readonly description: string;
  private readonly mutex = new KeyedMutex();
  private readonly fetch: $Fetch;
  private readonly pending = new Map<string, PendingChange>();

  constructor(private readonly o: CaddyRouterOptions) {
    this.description = `Caddy at ${o.adminUrl} (*.${o.domain})`;
    this.fetch = createFetch({ fetch: o.fetch ?? globalThis.fetch });
  }

  /**
   * One admin API call through ofetch (JSON bodies, a 15 s timeout, no retries: the router's
   * own queue decides what to try again). HTTP error statuses are answers, not exceptions.
   */
  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    try {
      const res = await this.fetch.raw(path, {
        baseURL: this.o.adminUrl,
        method,
        body: body as Record<string, unknown> | undefined,
        timeout: 15_000,
        retry: 0,
        ignoreResponseError: true,
        parseResponse: (text) => {
          try {
            return text ? JSON.parse(text) : undefined;
          } catch {
            return text;
          }
        },
      });
      return { status: res.status, json: res._data };
    } catch (err) {
      const cause = (err as { cause?: Error }).cause;
      throw new RouterError(`Caddy admin API at ${this.o.adminUrl} unreachable: ${cause?.message ?? (err as Error).message}`);
    }
  }

  private async must(method: string, path: string, body?: unknown): Promise<unknown> {
    const r = await this.call(method, path, body);
    if (r.status >= 300) {
      const error = fieldsOf(r.json)?.error;
      throw new RouterError(`Caddy: ${method} ${path} failed (${r.status}): ${error ?? JSON.stringify(r.json)}`);
    }
    return r.json;
  }

  async ping(): Promise<void> {
    await this.must("GET", "/config/");
  }

  async upstreams(service: string): Promise<string[]> {
    const r = await this.call("GET", `/id/${proxyId(service, this.o.domain)}/upstreams`);
    if (r.status === 404) return [];
    if (r.status >= 300) throw new RouterError(`Caddy: reading the upstreams of ${service} failed (${r.status})`);
    return (Array.isArray(r.json) ? r.json : []).map((u) => dialOf(u) ?? "").filter(Boolean);
  }

  addUpstream(service: string, dial: string): Promise<void> {
    return this.change(service, (p) => {
      p.removes.delete(dial);
      p.adds.add(dial);
    });
  }

  removeUpstream(service: string, dial: string): Promise<void> {
    return this.change(service, (p) => {
      p.adds.delete(dial);
      p.removes.add(dial);
    });
  }

  /** Queues a change; all changes of a service within BATCH_MS are applied with one write. */
  private change(service: string, edit: (p: PendingChange) => void): Promise<void> {
    let p = this.pending.get(service);
    if (!p) {
      const batch: PendingChange = { adds: new Set(), removes: new Set(), waiters: [] };
      p = batch;
      this.pending.set(service, batch);
      setTimeout(() => {
        if (this.pending.get(service) === batch) this.pending.delete(service);
        this.mutex.run(service, () => this.apply(service, batch)).then(
          () => {
            for (const w of batch.waiters) w.resolve();
          },
          (err) => {
            for (const w of batch.waiters) w.reject(err);
          },
        );
      }, BATCH_MS);
    }
    edit(p);
    const batch = p;
    return new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
  }

  private async apply(service: string, change: PendingChange): Promise<void> {
    const path = `/id/${proxyId(service, this.o.domain)}/upstreams`;
    const r = await this.call("GET", path);
    if (r.status >= 300 && r.status !== 404) throw new RouterError(`Caddy: reading the upstreams of ${service} failed (${r.status})`);
    const exists = r.status !== 404;
    const current: unknown[] = exists && Array.isArray(r.json) ? r.json : [];
    const next = current.filter((u) => !change.removes.has(dialOf(u) ?? ""));
    for (const dial of change.adds) if (!next.some((u) => dialOf(u) === dial)) next.push({ dial });
    const same = next.length === current.length && next.every((u, i) => u === current[i]);
    if (same && exists) return;
    if (!exists) {
      if (next.length > 0) await this.createRoute(service, next.map((u) => String(dialOf(u))));
      return;
    }
    if (next.length === 0) await this.must("DELETE", `/id/${routeId(service, this.o.domain)}`);
    else await this.must("PATCH", path, next);
  }

  /**
   * Inserts the route first in the server's list (before any catch-all or wildcard),
   * creating what is missing. A route someone else wrote for the very same host is never
   * shadowed: the route is not added and the error says which route is in the way (placing
   * ours after it instead would leave a dead route and a deploy that claims to be served).
   */
  private async createRoute(service: string, dials: string[]): Promise<void> {
    const route = buildRoute(service, this.o.domain, dials);
    const servers = fieldsOf((await this.call("GET", "/config/apps/http/servers")).json);
    if (!servers || Object.keys(servers).length === 0) {
      await this.must("PUT", "/config/apps/http/servers/deployster", { listen: [":80"], routes: [route] });
      return;
    }
    const names = Object.keys(servers).sort();
    const name = this.o.server ?? (names.includes("srv0") ? "srv0" : names[0]!);
    const routes = fieldsOf(servers[name])?.routes;
    const base = `/config/apps/http/servers/${encodeURIComponent(name)}/routes`;
    const host = `${service}.${this.o.domain}`;
    const taken = Array.isArray(routes) ? findHostRoute(routes, host) : -1;
    if (taken >= 0) {
      throw new RouterError(
        `Caddy already has a route for ${host} that deployster did not create (server ${name}, route ${taken}); deployster does not put its route in front of it.  Remove that route or route the service under another --domain.`,
      );
    }
    if (!Array.isArray(routes)) await this.must("PUT", base, [route]);
    else if (routes.length === 0) await this.must("POST", base, route);
    else await this.must("PUT", `${base}/0`, route);
  }
}
