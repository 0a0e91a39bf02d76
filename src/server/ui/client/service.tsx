/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * One service: its newest deploy's state and the actions, the rollout in progress (per
 * instance: booting → ready → routed → old one retired), its versions and their instances,
 * and its deploy history with the reasons and log tails of failures.
 */
import { requestDestroy, requestRollback } from "./api";
import type { ConfirmRequest } from "./confirm";
import { type DeployRecord, formatAge, formatDuration, groupVersions, instanceProgress, type ServiceView, type Step, type Unit } from "./model";

type Ask = (r: ConfirmRequest) => void;

const STEPS: Step[] = ["booting", "ready", "routed", "retired"];

function Badge(p: { state: string }) {
  return <span class={`badge badge-${p.state.replace(/[^a-z_]/g, "")}`}>{p.state.replace("_", " ")}</span>;
}

function Rollout(p: { deploy: DeployRecord; units: Unit[] }) {
  const d = p.deploy;
  const ready = d.instances.filter((i) => i.state === "ready").length;
  return (
    <div class="rollout" data-testid="rollout" aria-live="polite">
      <h3>
        Rolling out {d.version} <span class="muted">({ready}/{d.instance_count} ready{d.previous ? `, replacing ${d.previous.version}` : ""})</span>
      </h3>
      <progress max={d.instance_count} value={ready} aria-label={`${ready} of ${d.instance_count} instances ready`} />
      <ol class="rollout-list">
        {d.instances.map((rec) => {
          const at = instanceProgress(rec, p.units);
          const reached = STEPS.indexOf(at as Step);
          return (
            <li key={rec.instance} data-instance={rec.instance} data-progress={at}>
              <span class="rollout-name">#{rec.instance}</span>
              {at === "failed" || at === "pending" || at === "removed" ? (
                <span class={`step step-${at}`}>{at}</span>
              ) : (
                STEPS.map((s, i) => {
                  const skip = s === "retired" && !rec.replaces;
                  const cls = skip ? "step-skip" : i < reached ? "step-done" : i === reached ? "step-now" : "step-todo";
                  return (
                    <span key={s} class={`step ${cls}`} title={skip ? "nothing to retire" : undefined}>
                      {s}
                    </span>
                  );
                })
              )}
              {rec.reason && <span class="reason">{rec.reason}</span>}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

const yesNo = (v: boolean | null) => (v === null ? <span class="muted">n/a</span> : v ? <span class="yes">yes</span> : <span class="no">no</span>);

/** What the deploy record says about an instance after the fact (e.g. it was restarted). */
const noteOf = (record: DeployRecord | undefined, u: Unit) => record?.instances.find((i) => i.container === u.container_name)?.reason ?? null;

type VersionGroup = ReturnType<typeof groupVersions>[number];

function Versions(p: { view: ServiceView; now: number; ask: Ask }) {
  const groups = groupVersions(p.view.units);
  if (groups.length === 0) return <p class="muted">No instances.</p>;
  return (
    <>
      {groups.map((g) => (
        <Version key={`${g.version}:${g.timestamp}`} group={g} view={p.view} now={p.now} ask={p.ask} />
      ))}
    </>
  );
}

/** One deployed version: its heading, its Destroy button (confirmed first) and its instances. */
function Version(p: { group: VersionGroup; view: ServiceView; now: number; ask: Ask }) {
  const g = p.group;
  const record = p.view.deploys.find((d) => d.version === g.version && d.timestamp === g.timestamp);
  const destroy = () =>
    p.ask({
      title: `Destroy ${p.view.service} ${g.version}?`,
      body: `All ${g.units.length} instance(s) of ${g.version} (deployed ${g.timestamp}) are taken out of the router and removed. This cannot be undone.`,
      action: `Destroy ${g.version}`,
      run: () => requestDestroy(p.view.service, g.version, g.timestamp),
    });
  return (
    <div class="version" data-version={g.version}>
      <div class="version-head">
        <h3>
          {g.version} <span class="muted">{g.timestamp}</span> {record && <Badge state={record.state} />}
        </h3>
        <button type="button" class="secondary danger-outline" onClick={destroy} data-testid={`destroy-${g.version}`}>
          Destroy…
        </button>
      </div>
      <div class="table-wrap">
        <table class="stack">
          <thead>
            <tr>
              <th>#</th>
              <th>Machine</th>
              <th>State</th>
              <th>Ready</th>
              <th>Routed</th>
              <th>Address</th>
              <th>Config</th>
              <th>Age</th>
            </tr>
          </thead>
          <tbody>
            {g.units.map((u) => (
              <UnitRow key={u.container_id} unit={u} record={record} now={p.now} />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function UnitRow(p: { unit: Unit; record: DeployRecord | undefined; now: number }) {
  const u = p.unit;
  const note = noteOf(p.record, u);
  return (
    <tr data-unit={u.container_name} data-state={u.current_state} data-ready={String(u.ready)} data-routed={String(u.routed)}>
      <td data-label="#">{u.instance}</td>
      <td data-label="Machine" title={u.machine_id}>
        <code>{u.machine_id.slice(0, 12) || "—"}</code>
      </td>
      <td data-label="State">
        <span class={`state state-${u.current_state}`}>{u.current_state}</span> <span class="muted">{u.container_state}</span>
        {note && <div class="note">{note}</div>}
      </td>
      <td data-label="Ready">{yesNo(u.ready)}</td>
      <td data-label="Routed">{yesNo(u.routed)}</td>
      <td data-label="Address">
        <code>{u.address ?? "—"}</code>
      </td>
      <td data-label="Config" data-config-current={String(u.config_current)} title="Digest of the configuration (--config-dir) it started with; stale: a new deploy would start with another one">
        {u.config_digest ? <code>{u.config_digest.slice(0, 8)}</code> : "—"}
        {u.config_current === false && <span class="muted"> stale</span>}
      </td>
      <td data-label="Age">{formatAge(u.created_at, p.now)}</td>
    </tr>
  );
}

function LogTail(p: { lines: string[] }) {
  if (p.lines.length === 0) return null;
  return (
    <details class="logtail">
      <summary>Last {p.lines.length} log lines</summary>
      <pre>{p.lines.join("\n")}</pre>
    </details>
  );
}

function History(p: { deploys: DeployRecord[]; now: number }) {
  if (p.deploys.length === 0) return null;
  return (
    <details class="history" open>
      <summary>Deploy history ({p.deploys.length})</summary>
      <ol class="history-list">
        {p.deploys.map((d) => (
          <li key={`${d.version}:${d.timestamp}`} data-deploy={d.version} data-deploy-state={d.state}>
            <div class="history-head">
              <Badge state={d.state} /> <strong>{d.version}</strong> <span class="muted">{d.timestamp}</span>
              <span class="muted">
                {" "}
                · {d.instance_count} instance(s) · {formatAge(d.started_at, p.now)} ago · {d.finished_at ? "took" : "running for"} {formatDuration(d.started_at, d.finished_at, p.now)}
                {d.rollback_of ? ` · rollback of ${d.rollback_of.version}` : ""}
              </span>
            </div>
            {d.reason && <p class="reason" data-testid="deploy-reason">{d.reason}</p>}
            <LogTail lines={d.log_tail} />
          </li>
        ))}
      </ol>
    </details>
  );
}

export function ServiceCard(p: { view: ServiceView; now: number; onConfirm: Ask }) {
  const v = p.view;
  const newest = v.deploys[0];
  const rolling = v.deploys.find((d) => d.state === "rolling");
  const live = v.deploys.find((d) => d.state === "live");
  const lastFailure = newest?.state === "failed" ? newest : undefined;
  const rollback = () =>
    p.onConfirm({
      title: `Roll back ${v.service}?`,
      body: `${live ? `${live.version} is replaced by ${live.previous ? live.previous.version : "the version it replaced"}` : "The current version is replaced by the one before it"}, deployed again under a new timestamp; each old instance is retired once its replacement is ready.`,
      action: "Roll back",
      run: () => requestRollback(v.service),
    });
  return (
    <article class="card service" data-service={v.service} aria-labelledby={`svc-${v.service}`}>
      <header class="service-head">
        <h2 id={`svc-${v.service}`}>{v.service}</h2>
        {newest && <Badge state={newest.state} />}
        <span class="muted">
          {v.units.length} instance(s){live ? ` · live: ${live.version}` : ""}
        </span>
        <span class="spacer" />
        <button type="button" class="secondary" onClick={rollback} disabled={!!rolling || !live} data-testid="rollback">
          Roll back…
        </button>
      </header>
      {lastFailure && (
        <div class="alert" role="alert" data-testid="failure">
          <strong>
            Deploy of {lastFailure.version} failed
          </strong>
          {lastFailure.reason && <p>{lastFailure.reason}</p>}
          <LogTail lines={lastFailure.log_tail} />
        </div>
      )}
      {rolling && <Rollout deploy={rolling} units={v.units} />}
      <Versions view={v} now={p.now} ask={p.onConfirm} />
      <History deploys={v.deploys} now={p.now} />
    </article>
  );
}
