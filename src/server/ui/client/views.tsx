/** @jsxImportSource preact */
/// <reference lib="dom" />
/** The page's header and the recent tasks; the services are in ./service.tsx. */
import type { Connection, TaskRecord } from "./model";
import { formatAge, formatDuration } from "./model";

export { ServiceCard } from "./service";

const CONNECTION_TEXT: Record<Connection, string> = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  closed: "disconnected (reload the page)",
};

export function Header(p: { connection: Connection }) {
  const version = document.querySelector('meta[name="deployster-version"]')?.getAttribute("content") ?? "";
  return (
    <header class="top">
      <h1>deployster</h1>
      <span class="top-version">{version}</span>
      <span class={`conn conn-${p.connection}`} data-testid="connection" role="status">
        <span class="dot" aria-hidden="true" />
        {CONNECTION_TEXT[p.connection]}
      </span>
    </header>
  );
}

function exitBadge(t: TaskRecord) {
  if (t.state === "running") return <span class="badge badge-rolling">running</span>;
  if (t.exit_code === null) return <span class="badge badge-failed">error</span>;
  return <span class={`badge ${t.exit_code === 0 ? "badge-live" : "badge-failed"}`}>exit {t.exit_code}</span>;
}

export function TasksPanel(p: { tasks: TaskRecord[]; now: number }) {
  return (
    <section class="card tasks" aria-labelledby="tasks-title">
      <h2 id="tasks-title">Recent tasks</h2>
      {p.tasks.length === 0 ? (
        <p class="muted">No tasks since this server started.</p>
      ) : (
        <div class="table-wrap">
          <table class="stack">
            <thead>
              <tr>
                <th>Service</th>
                <th>Version</th>
                <th>Command</th>
                <th>Result</th>
                <th>Started</th>
                <th>Took</th>
              </tr>
            </thead>
            <tbody>
              {p.tasks.map((t) => (
                <tr key={t.container} data-task={t.container} data-exit={t.exit_code ?? ""}>
                  <td data-label="Service">{t.service}</td>
                  <td data-label="Version">{t.version}</td>
                  <td data-label="Command">
                    <code>{t.command}</code>
                  </td>
                  <td data-label="Result" title={t.reason ?? undefined}>
                    {exitBadge(t)} {t.reason && <span class="muted">{t.reason}</span>}
                  </td>
                  <td data-label="Started">{formatAge(t.started_at, p.now)} ago</td>
                  <td data-label="Took">{formatDuration(t.started_at, t.finished_at, p.now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
