/** @jsxImportSource preact */
/// <reference lib="dom" />
/**
 * The status page: loads a snapshot (GET /v1/services, /v1/tasks), then follows
 * GET /v1/events. On every (re)connection the snapshot is loaded again and the events that
 * arrived meanwhile are applied on top of it, so nothing is missed and nothing polls.
 */
import { fieldsOf } from "../../../api/json";
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { loadSnapshot } from "./api";
import { applyDeploy, applySnapshot, applyTask, applyUnits, type DeployRecord, initialState, type PageState, type TaskRecord, type Unit } from "./model";
import { ConfirmDialog, type ConfirmRequest } from "./confirm";
import { Header, ServiceCard, TasksPanel } from "./views";

/** An event of GET /v1/events, its data parsed from JSON (the server's own; checked for its shape's envelope). */
type Incoming = { type: string; data: unknown };

function applyEvent(s: PageState, e: Incoming): PageState {
  const data = fieldsOf(e.data);
  if (e.type === "deploy" && fieldsOf(data?.deploy)) return applyDeploy(s, data?.deploy as DeployRecord);
  if (e.type === "units" && typeof data?.service === "string" && Array.isArray(data.units)) return applyUnits(s, data.service, data.units as Unit[]);
  if (e.type === "task" && fieldsOf(data?.task)) return applyTask(s, data?.task as TaskRecord);
  return s;
}

function useLiveState(onError: (m: string) => void): PageState {
  const [state, setState] = useState<PageState>(initialState);
  useEffect(() => {
    let buffer: Incoming[] | null = [];
    const source = new EventSource("/v1/events");
    const receive = (type: string) => (ev: MessageEvent) => {
      let data: unknown;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (buffer) buffer.push({ type, data });
      else setState((s) => applyEvent(s, { type, data }));
    };
    for (const t of ["deploy", "units", "task", "instance"]) source.addEventListener(t, receive(t) as EventListener);
    source.onopen = () => {
      buffer = [];
      setState((s) => ({ ...s, connection: "live" }));
      loadSnapshot().then(
        ({ services, tasks }) => {
          const pending = buffer ?? [];
          buffer = null;
          setState((s) => pending.reduce(applyEvent, applySnapshot(s, services, tasks)));
        },
        (err: Error) => {
          buffer = null;
          onError(`Could not load the overview: ${err.message}`);
        },
      );
    };
    source.onerror = () => setState((s) => ({ ...s, connection: source.readyState === EventSource.CLOSED ? "closed" : "reconnecting" }));
    return () => source.close();
  }, []);
  return state;
}

function App() {
  const [flash, setFlash] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [now, setNow] = useState(Date.now());
  const state = useLiveState((text) => setFlash({ kind: "error", text }));
  const flashRef = useRef<number | undefined>(undefined);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(t);
  }, []);
  const ask = (r: ConfirmRequest) => setConfirm(r);
  const done = (kind: "ok" | "error", text: string) => {
    setFlash({ kind, text });
    clearTimeout(flashRef.current);
    if (kind === "ok") flashRef.current = setTimeout(() => setFlash(null), 8000) as unknown as number;
  };
  const services = Object.values(state.services).sort((a, b) => a.service.localeCompare(b.service));
  return (
    <>
      <Header connection={state.connection} />
      <main id="main">
        <p class={`flash ${flash ? `flash-${flash.kind}` : ""}`} role="status" aria-live="polite" data-testid="flash">
          {flash?.text ?? ""}
        </p>
        {state.loaded && services.length === 0 && (
          <p class="empty">No services yet. Deploy one with <code>deployster ctl deploy SERVICE VERSION</code>.</p>
        )}
        {!state.loaded && <p class="empty">Loading…</p>}
        <section aria-label="Services" class="services">
          {services.map((s) => (
            <ServiceCard key={s.service} view={s} now={now} onConfirm={ask} />
          ))}
        </section>
        <TasksPanel tasks={state.tasks} now={now} />
      </main>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} onDone={done} />
    </>
  );
}

render(<App />, document.getElementById("app")!);
