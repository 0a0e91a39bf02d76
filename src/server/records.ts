/**
 * Recent deploys of each service (spec decision 8): what GET .../deploys shows.
 *
 * Where they live: in memory while the server runs, rebuilt from the engine on start-up.
 * Every instance carries its deploy's facts as labels (count, destroy_previous, previous
 * version, start time, rollback origin) and a compact copy of the service's earlier records
 * as they stood when its deploy began (LABEL_HISTORY). So after a restart, each deploy that
 * still has containers is rebuilt from them, and the earlier ones (including failed and
 * destroyed deploys) from the newest deploy's history label. What cannot come back: a
 * record written after the newest deploy started (e.g. that deploy's own failure, whose
 * containers were removed) when no later deploy exists.
 */
import type { DeployRecord, DeployState, VersionRef } from "../api/v1";
import { type Instance, newestInstance } from "./instance-model";
import { deployKey, splitDeployKey } from "./names";
import { observe } from "./observe";

const MAX_RECORDS = 20;
const MAX_HISTORY = 10;

/** Compact form kept in LABEL_HISTORY. */
interface HistoryEntry {
  v: string;
  t: string;
  s: DeployState;
  n?: number;
  at?: string;
  end?: string;
  r?: string;
  p?: string;
  rb?: string;
}

function refOf(key: string | undefined): VersionRef | null {
  const r = splitDeployKey(key);
  return r ? { version: r.version, timestamp: r.timestamp } : null;
}

export class DeployLog {
  private byService = new Map<string, DeployRecord[]>();

  /** `onChange` is told of every record added and of every later change to one (once per tick). */
  constructor(private readonly onChange?: (record: DeployRecord) => void) {}

  /** The services with records. */
  services(): string[] {
    return [...this.byService.keys()];
  }

  /** Newest first. */
  list(service: string): DeployRecord[] {
    return [...(this.byService.get(service) ?? [])].sort((a, b) => b.started_at.localeCompare(a.started_at));
  }

  /** The newest record of `version` (of that timestamp when given). */
  find(service: string, version: string, timestamp?: string): DeployRecord | undefined {
    return this.list(service).find((r) => r.version === version && (timestamp === undefined || r.timestamp === timestamp));
  }

  add(plain: DeployRecord): DeployRecord {
    const onChange = this.onChange;
    const record: DeployRecord = onChange ? observe(plain, () => onChange(record)) : plain;
    if (onChange) queueMicrotask(() => onChange(record));
    const list = (this.byService.get(record.service) ?? []).filter((r) => !(r.version === record.version && r.timestamp === record.timestamp));
    list.push(record);
    list.sort((a, b) => a.started_at.localeCompare(b.started_at));
    this.byService.set(record.service, list.slice(-MAX_RECORDS));
    return record;
  }

  /** Marks live/rolling records of `version` (of `timestamp` when given) as `state`. */
  settle(service: string, version: string, timestamp: string | undefined, state: "destroyed" | "rolled_back"): void {
    for (const r of this.byService.get(service) ?? []) {
      if (r.version !== version || (timestamp !== undefined && r.timestamp !== timestamp)) continue;
      if (r.state === "live" || r.state === "rolling" || (state === "rolled_back" && r.state === "destroyed")) {
        r.state = state;
        r.finished_at ??= new Date().toISOString();
      }
    }
  }

  /** The compact history label for a new deploy of `service` (the records before it). */
  historyLabel(service: string): string {
    const entries: HistoryEntry[] = this.list(service)
      .slice(0, MAX_HISTORY)
      .map((r) => ({
        v: r.version,
        t: r.timestamp,
        s: r.state,
        n: r.instance_count,
        at: r.started_at,
        end: r.finished_at ?? undefined,
        r: r.reason ? r.reason.slice(0, 300) : undefined,
        p: r.previous ? deployKey(r.previous.version, r.previous.timestamp) : undefined,
        rb: r.rollback_of ? deployKey(r.rollback_of.version, r.rollback_of.timestamp) : undefined,
      }));
    return JSON.stringify(entries);
  }

  /**
   * Rebuilds the records of one service from its instances (start-up). Deploys with
   * containers come from their labels; earlier ones from the newest deploy's history label.
   */
  rebuild(service: string, instances: Instance[]): void {
    const groups = new Map<string, Instance[]>();
    for (const i of instances) {
      const k = deployKey(i.version, i.timestamp);
      groups.set(k, [...(groups.get(k) ?? []), i]);
    }
    const newest = newestInstance(instances);
    let history: HistoryEntry[] = [];
    try {
      history = newest?.history ? (JSON.parse(newest.history) as HistoryEntry[]) : [];
      if (!Array.isArray(history)) history = [];
    } catch {
      history = [];
    }
    const rolledBack = new Set(instances.map((i) => i.rollbackOf).filter(Boolean) as string[]);
    for (const h of history) {
      if (!h || typeof h.v !== "string" || typeof h.t !== "string" || groups.has(deployKey(h.v, h.t))) continue;
      let state: DeployState = h.s;
      if (state === "live" || state === "rolling") state = rolledBack.has(deployKey(h.v, h.t)) ? "rolled_back" : "destroyed";
      this.add({
        service,
        version: h.v,
        timestamp: h.t,
        state,
        instance_count: h.n ?? 0,
        destroy_previous: false,
        previous: refOf(h.p),
        rollback_of: refOf(h.rb),
        config_digest: null,
        started_at: h.at ?? "",
        finished_at: h.end ?? null,
        reason: h.r ?? null,
        log_tail: [],
        instances: [],
      });
    }
    for (const [, group] of groups) {
      const first = group[0]!;
      const running = group.some((i) => i.state === "running");
      this.add({
        service,
        version: first.version,
        timestamp: first.timestamp,
        state: running ? "live" : "failed",
        instance_count: first.count,
        destroy_previous: first.destroyPrevious,
        previous: refOf(first.previous),
        rollback_of: refOf(first.rollbackOf),
        config_digest: first.configDigest ?? null,
        started_at: first.startedAt,
        finished_at: null,
        reason: running ? null : "no instance is running",
        log_tail: [],
        instances: group
          .sort((a, b) => a.instance - b.instance)
          .map((i) => ({
            instance: String(i.instance),
            container: i.name,
            state: i.state === "running" ? "ready" : "failed",
            replaces: i.replaces ?? null,
            retired: false,
            reason: null,
            machine_id: i.machineId ?? null,
          })),
      });
    }
  }
}
