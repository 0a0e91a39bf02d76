/**
 * The readiness gate (spec decision 3): an instance is ready when the image's Docker
 * HEALTHCHECK reports healthy, or (no HEALTHCHECK) when its container port accepts a TCP
 * connection, and then, with --health-path, when an HTTP GET of that path through the
 * published port answers 2xx/3xx.
 *
 * The TCP check dials the container's own address: the published host port is held open
 * by docker-proxy whether or not the app listens, so it proves nothing. An engine whose
 * containers this server cannot reach (another host, another network namespace) is probed
 * through `instanceHost` and the published port instead: there only --health-path (or a
 * HEALTHCHECK) proves the app answers.
 */
import type { DockerClient } from "../docker/client";
import { containerLogs, inspectContainer } from "../docker/containers";
import type { ContainerInspect } from "../docker/types";
import { sleepUnlessAborted } from "../sleep";

export interface ProbeOptions {
  containerPort: number;
  publishHost: string;
  /** Where the engine's published ports are reached from here when its containers are not (--instance-host). */
  instanceHost?: string;
  healthPath?: string;
}

export type ProbeResult =
  | { kind: "ready"; hostPort?: number }
  | { kind: "waiting"; why: string }
  /** The instance cannot become ready any more (exited, gone). */
  | { kind: "failed"; why: string };

/** The address a client on this host dials for a port published on `publishHost`. */
export function dialHost(publishHost: string): string {
  return publishHost === "0.0.0.0" ? "127.0.0.1" : publishHost === "::" ? "::1" : publishHost;
}

export function tcpConnect(hostname: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean, socket?: { end(): void }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket?.end();
      } catch {}
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    Bun.connect({
      hostname,
      port,
      socket: {
        open: (s) => finish(true, s),
        data() {},
        error: () => finish(false),
        connectError: () => finish(false),
        close() {},
      },
    }).catch(() => finish(false));
  });
}

function containerAddress(info: ContainerInspect): string | undefined {
  const ns = info.NetworkSettings;
  if (ns?.IPAddress) return ns.IPAddress;
  for (const n of Object.values(ns?.Networks ?? {})) if (n?.IPAddress) return n.IPAddress;
  return undefined;
}

function publishedPort(info: ContainerInspect, containerPort: number): number | undefined {
  const b = info.NetworkSettings?.Ports?.[`${containerPort}/tcp`];
  const p = Array.isArray(b) ? b.find((x) => x?.HostPort) : undefined;
  return p ? Number(p.HostPort) : undefined;
}

/** One look at the instance. */
export async function probeInstance(d: DockerClient, id: string, o: ProbeOptions): Promise<ProbeResult> {
  const info = await inspectContainer(d, id);
  if (!info) return { kind: "failed", why: "the container is gone" };
  const st = info.State ?? {};
  if (st.Status === "exited" || st.Status === "dead") {
    return { kind: "failed", why: `the container exited with code ${st.ExitCode}${st.Error ? ` (${st.Error})` : ""}` };
  }
  if (st.Status !== "running") return { kind: "waiting", why: `the container is ${st.Status}` };
  const hostPort = publishedPort(info, o.containerPort);
  if (st.Health) {
    if (st.Health.Status === "healthy") return { kind: "ready", hostPort };
    const last = st.Health.Log?.[st.Health.Log.length - 1];
    const detail = last ? `: exit ${last.ExitCode}${String(last.Output ?? "").trim() ? `, ${String(last.Output).trim().slice(0, 200)}` : ""}` : "";
    return { kind: "waiting", why: `its HEALTHCHECK reports ${st.Health.Status}${detail}` };
  }
  const address = o.instanceHost ?? containerAddress(info);
  const port = o.instanceHost ? hostPort : o.containerPort;
  if (!address) return { kind: "waiting", why: "the container has no network address" };
  if (!port) return { kind: "waiting", why: `port ${o.containerPort} is not published` };
  if (!(await tcpConnect(address, port))) return { kind: "waiting", why: `nothing accepts connections on port ${o.containerPort}` };
  if (o.healthPath) {
    if (!hostPort) return { kind: "waiting", why: `port ${o.containerPort} is not published` };
    const host = o.instanceHost ?? dialHost(o.publishHost);
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${hostPort}${o.healthPath}`;
    try {
      const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer().catch(() => {});
      if (res.status < 200 || res.status >= 400) return { kind: "waiting", why: `GET ${o.healthPath} answered ${res.status}` };
    } catch (err) {
      return { kind: "waiting", why: `GET ${o.healthPath} failed: ${(err as Error).message}` };
    }
  }
  return { kind: "ready", hostPort };
}

export interface ProbeUntilReadyOptions extends ProbeOptions {
  /** Epoch ms after which the instance has failed. */
  deadline: number;
  signal?: AbortSignal;
  /** Poll interval (the first probes come sooner: a fast app should not wait a whole second). */
  intervalMs?: number;
}

export type ReadyOutcome =
  | { ready: true; hostPort?: number }
  | { ready: false; why: string; aborted?: boolean; timedOut?: boolean };

/** Polls probeInstance until ready, failed, past the deadline, or aborted; never throws: the outcome says which. */
export async function probeUntilReady(d: DockerClient, id: string, o: ProbeUntilReadyOptions): Promise<ReadyOutcome> {
  const interval = o.intervalMs ?? 1000;
  const early = [50, 100, 150, 200, 300, 500];
  let lastWhy = "no probe ran";
  for (let attempt = 0; ; attempt++) {
    if (o.signal?.aborted) return { ready: false, why: "interrupted", aborted: true };
    let r: ProbeResult;
    try {
      r = await probeInstance(d, id, o);
    } catch (err) {
      r = { kind: "waiting", why: (err as Error).message };
    }
    if (r.kind === "ready") return { ready: true, hostPort: r.hostPort };
    if (r.kind === "failed") return { ready: false, why: r.why };
    lastWhy = r.why;
    const pause = Math.min(early[attempt] ?? interval, interval);
    if (Date.now() + pause > o.deadline) {
      return { ready: false, why: lastWhy, timedOut: true };
    }
    await sleepUnlessAborted(pause, o.signal);
  }
}


/** The last lines of an instance's output (stdout and stderr), for a failure record. */
export async function lastLogLines(d: DockerClient, id: string, lines = 20): Promise<string[]> {
  try {
    const parts: Uint8Array[] = [];
    await containerLogs(d, id, { tail: lines, onChunk: (_stream, data) => parts.push(data.slice()) });
    return Buffer.concat(parts).toString("utf8").split("\n").map((l) => l.trimEnd()).filter(Boolean).slice(-lines);
  } catch {
    return [];
  }
}
