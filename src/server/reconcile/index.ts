/**
 * The reconcile loop of `deployster serve`: it keeps what went live serving after the
 * rollout is over.
 *
 * - Engine events (die, destroy, health_status) of this server's instances: an instance
 *   that was serving and dies is unrouted at once and healed (heal.ts).
 * - Every (re)connection of the events stream (a restarted dockerd, a network blip): the
 *   instances are listed again and those that should serve but do not are healed (events
 *   missed while the stream was down are never replayed).
 * - Every `checkEveryMs` (1 s) and right after a die: the router check (routes.ts), which
 *   also brings back the routes of a restarted Caddy.
 * - While the engine cannot be reached, `server.engineDown` holds the reason (the API answers
 *   503 with it).
 *
 * Ends with the server's shutdown signal; `stop()` waits for the loops and heals in flight.
 */
import { watchEvents } from "../../docker/events";
import { DockerUnreachableError } from "../../docker/errors";
import type { ServerContext } from "../context";
import { dialOf, listInstances } from "../instances";
import type { EngineEvent } from "../../docker/types";
import { type Instance, isFailed } from "../instance-model";
import { instanceFilters } from "../labels";
import { healInstance } from "./heal";
import { markRemoved, wasServing, type InstanceRef } from "./records";
import { syncRoutes } from "./routes";

export interface ReconcilerOptions {
  /** Pause between two router checks (default 1000 ms). */
  checkEveryMs?: number;
}

export interface Reconciler {
  /** Waits for the loops and the heals in flight (call after the shutdown signal). */
  stop(): Promise<void>;
}

type InstanceId = InstanceRef & { id: string };

/** The instance identity carried by an event's attributes (its labels and name). */
export function refFromEvent(ev: EngineEvent): InstanceId | undefined {
  const a = ev?.Actor?.Attributes ?? {};
  const instance = Number(a["deployster.instance"]);
  const id = String(ev?.Actor?.ID ?? ev?.id ?? "");
  if (!id || !a["deployster.service"] || !a["deployster.version"] || !a["deployster.timestamp"] || !Number.isInteger(instance)) return undefined;
  return { id, service: a["deployster.service"], version: a["deployster.version"], timestamp: a["deployster.timestamp"], instance, name: String(a.name ?? "") };
}

function refOf(i: Instance): InstanceId {
  return { id: i.id, service: i.service, version: i.version, timestamp: i.timestamp, instance: i.instance, name: i.name };
}

/** The loops' shared state: heals in flight, the last known router addresses, the router check's wake-up. */
class ReconcileLoop {
  readonly healing = new Map<string, Promise<void>>();
  /** Last router address of each instance seen running (an exited container has none). */
  private readonly dials = new Map<string, string>();
  private wake: (() => void) | undefined;
  private again = false;
  /** Resolved (and replaced) each time the events stream opens again. */
  private reconnected = Promise.withResolvers<void>();

  constructor(
    private readonly server: ServerContext,
    private readonly everyMs: number,
  ) {}

  /** Runs the router check now (or right after the one under way). */
  private kick(): void {
    this.again = true;
    this.wake?.();
  }

  private remember(instances: Instance[]): void {
    const ids = new Set(instances.map((i) => i.id));
    for (const id of this.dials.keys()) if (!ids.has(id)) this.dials.delete(id);
    for (const i of instances) {
      const dial = i.state === "running" ? dialOf(this.server, i) : undefined;
      if (dial) this.dials.set(i.id, dial);
    }
  }

  /** Heals an instance that was serving (once at a time per instance; never one being retired). */
  private heal(ref: InstanceId, why: string): void {
    const { server, healing, dials } = this;
    if (healing.has(ref.id) || server.retiring.has(ref.id) || server.shutdown.aborted || !wasServing(server.log, ref)) return;
    const target = { ...ref, dial: dials.get(ref.id), onRouted: (dial: string) => dials.set(ref.id, dial), engineBack: () => this.reconnected.promise };
    const job = healInstance(server, target, why)
      .catch((err) => server.logger.warn(`${ref.name}: healing failed: ${(err as Error).message}`))
      .finally(() => healing.delete(ref.id));
    healing.set(ref.id, job);
    this.kick();
  }

  /** A removed instance that is not being healed: unrouted, and recorded as removed if it was serving. */
  private forget(ref: InstanceId): void {
    const { server } = this;
    const dial = this.dials.get(ref.id);
    this.dials.delete(ref.id);
    server.ready.delete(ref.id);
    if (server.router && dial) server.router.removeUpstream(ref.service, dial).catch(() => {});
    if (!server.retiring.has(ref.id) && wasServing(server.log, ref)) markRemoved(server.log, ref, `Instance ${ref.instance} (${ref.name}) was removed at ${new Date().toISOString()}`);
    this.kick();
  }

  onEvent(ev: EngineEvent): void {
    if (ev?.Type !== "container") return;
    const ref = refFromEvent(ev);
    if (!ref) return;
    const action = String(ev.Action ?? "");
    if (action === "die") this.heal(ref, `Instance ${ref.instance} (${ref.name}) exited with code ${ev.Actor?.Attributes?.exitCode ?? "?"} at ${new Date().toISOString()}`);
    else if (action.startsWith("health_status") && action.includes("unhealthy")) this.heal(ref, `Instance ${ref.instance} (${ref.name}) turned unhealthy at ${new Date().toISOString()}`);
    else if (action === "destroy" && !this.healing.has(ref.id)) this.forget(ref);
  }

  /** After every (re)connection: heal what should serve and does not. */
  private async resync(): Promise<void> {
    try {
      const instances = await listInstances(this.server);
      this.remember(instances);
      for (const i of instances) {
        if (i.state === "running" && i.health !== "unhealthy") continue;
        if (i.state === "created" || i.state === "restarting" || isFailed(i)) this.heal(refOf(i), `Instance ${i.instance} (${i.name}) was found ${i.health === "unhealthy" ? "unhealthy" : i.state} at ${new Date().toISOString()}`);
      }
    } catch (err) {
      this.server.logger.warn(`reconcile: listing the instances failed: ${(err as Error).message}`);
    }
    this.kick();
  }

  onConnect(): void {
    const { server } = this;
    if (server.engineDown) server.logger.info("the Docker engine answers again; reconciling");
    server.engineDown = undefined;
    this.reconnected.resolve();
    this.reconnected = Promise.withResolvers<void>();
    void this.resync();
  }

  onDisconnect(err: unknown): void {
    const { server } = this;
    if (err instanceof DockerUnreachableError) {
      if (!server.engineDown) server.logger.warn(`${err.message}; retrying`);
      server.engineDown = err.message;
    } else server.logger.debug(`events stream: ${(err as Error)?.message ?? err}; reconnecting`);
  }

  /** The router check every `everyMs`, or at once when kicked, until shutdown. */
  async checkRoutes(): Promise<void> {
    const signal = this.server.shutdown;
    while (!signal.aborted) {
      this.again = false;
      try {
        if (!this.server.engineDown) {
          const { listed } = await syncRoutes(this.server, new Set(this.healing.keys()));
          this.remember(listed);
        }
      } catch (err) {
        this.server.logger.debug(`router check: ${(err as Error).message}`);
      }
      if (this.again) continue;
      await this.pause(signal);
    }
  }

  /** Waits `everyMs`, or less when kicked or shut down. */
  private pause(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.everyMs);
      this.wake = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

export function startReconciler(server: ServerContext, o: ReconcilerOptions = {}): Reconciler {
  const loop = new ReconcileLoop(server, o.checkEveryMs ?? 1000);
  const watching = watchEvents(
    server.docker,
    {
      filters: { type: ["container"], label: instanceFilters(server.config.scopeLabels) },
      signal: server.shutdown,
      onConnect: () => loop.onConnect(),
      onDisconnect: (err) => loop.onDisconnect(err),
    },
    (ev) => loop.onEvent(ev),
  );
  const checking = loop.checkRoutes();
  return {
    async stop() {
      await Promise.allSettled([watching, checking, ...loop.healing.values()]);
    },
  };
}
