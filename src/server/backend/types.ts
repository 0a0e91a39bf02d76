/**
 * The backend seam of serve: what an instance is and how one boots, becomes ready, logs,
 * retires and is discarded. Two implementations: the engine's containers (one Docker engine,
 * ./engine.ts) and Swarm services (a cluster through its manager, ./swarm/). The rollout,
 * resumption, units, deploy and task handlers only talk to this interface, so the v1 API
 * behaves the same on both.
 */
import type { Instance } from "../instance-model";
import type { DeployPlan } from "../rollout/plan";

export interface BootedInstance {
  k: number;
  id: string;
  name: string;
  /** When the instance started (epoch ms): the readiness deadline counts from here, also after a restart. */
  startedAtMs: number;
  /** The instance exited (or failed) before it could become ready. */
  exited?: boolean;
}

export type BackendReadyOutcome =
  | { ready: true; dial?: string; machineId?: string }
  | { ready: false; why: string; aborted?: boolean; timedOut?: boolean };

/** What a failed instance is discarded by (a booted one, or an instance as listed). */
export type DiscardTarget = Pick<Instance, "id" | "name" | "service"> & Partial<Pick<Instance, "hostPort" | "hostIp" | "dial">>;

/** `Server`: the server context `watch` is given (ServerContext; a parameter so this seam imports nothing of the server). */
export interface InstanceBackend<Server = unknown> {
  readonly kind: "engine" | "swarm";
  /** For the start-up banner. */
  readonly description: string;
  /** This server's instances (of one service when given), oldest deploy first. */
  list(service?: string): Promise<Instance[]>;
  /** Whether the instance still exists (a route added for a vanished one is undone). */
  exists(id: string): Promise<boolean>;
  /** The router's address for an instance (host:port), when it has one. */
  dial(i: DiscardTarget): string | undefined;
  /** Makes the image available before any instance of it boots (aborted by `signal`). */
  prepareImage(image: string, signal?: AbortSignal): Promise<void>;
  /** Removes failed leftovers whose names the plan's new instances need. */
  removeLeftovers(plan: DeployPlan): Promise<void>;
  /** Creates (or, resuming, finds) new instance k of the plan and starts it. An error for an instance created but not started carries its `containerId` and `containerName`. */
  boot(plan: DeployPlan, k: number): Promise<BootedInstance>;
  /** The readiness gate: polls until ready, failed, past the deadline, or aborted. */
  waitReady(booted: BootedInstance, o: { deadline: number; signal?: AbortSignal }): Promise<BackendReadyOutcome>;
  /** One readiness look (start-up resumption). */
  probeReady(i: Instance): Promise<boolean>;
  /** A cheap readiness answer for units (`seen` = ids a rollout found ready). */
  isReadyNow(i: Instance, seen: Set<string>): Promise<boolean>;
  /** Graceful stop (SIGTERM, a grace period), then removal. */
  stopAndRemove(i: Instance): Promise<void>;
  /** Removal at once. */
  remove(id: string): Promise<void>;
  /** The last lines of an instance's output, for a failure record. */
  logTail(id: string): Promise<string[]>;
  /** Removes the secrets (--config-dir) of `service` (of every service when omitted: start-up) that no instance or task uses any more. */
  pruneConfig(service?: string): Promise<void>;
  /** The unit's machine_id: where the instance runs. */
  machineId(i: Instance): Promise<string>;
  /**
   * Keeps what went live serving, for the server's lifetime (engine: the reconcile loop that
   * heals dead instances; Swarm: re-routing instances Swarm moved). Ends with the shutdown
   * signal; `stop()` waits for it.
   */
  watch(server: Server): { stop(): Promise<void> };
}
