/**
 * Turns deploy and instance events into `units` events: after a change to a service, its
 * units are read again (the same collectUnits as GET .../units, so every backend looks the
 * same) and published whole. Reads are debounced per service and never overlap, and happen
 * only while someone listens to that service, so a busy rollout costs a few reads, not one
 * per change or per client.
 */
import type { ServerContext } from "../context";
import { collectUnits } from "../handlers/units";

const DEBOUNCE_MS = 150;

interface FeedState {
  timer?: ReturnType<typeof setTimeout>;
  running: boolean;
  again: boolean;
}

export function startUnitsFeed(server: ServerContext, debounceMs = DEBOUNCE_MS): () => void {
  const states = new Map<string, FeedState>();
  let stopped = false;
  const refresh = async (service: string, st: FeedState) => {
    st.running = true;
    try {
      const units = await collectUnits(server, service);
      if (!stopped) server.events.publish("units", service, { units });
    } catch (err) {
      server.logger.debug(`units feed of ${service}: ${(err as Error).message}`);
    } finally {
      st.running = false;
      if (st.again && !stopped) {
        st.again = false;
        schedule(service);
      } else if (!st.timer) states.delete(service);
    }
  };
  const schedule = (service: string) => {
    const st = states.get(service) ?? { running: false, again: false };
    states.set(service, st);
    if (st.running) {
      st.again = true;
      return;
    }
    if (st.timer) return;
    st.timer = setTimeout(() => {
      st.timer = undefined;
      void refresh(service, st);
    }, debounceMs);
  };
  const unlisten = server.events.listen((e) => {
    if (stopped || (e.type !== "deploy" && e.type !== "instance")) return;
    if (server.events.hasSubscribers(e.service)) schedule(e.service);
  });
  return () => {
    stopped = true;
    unlisten();
    for (const st of states.values()) clearTimeout(st.timer);
    states.clear();
  };
}
