import type { Socket } from "bun";
import type { DockerClient } from "./client";
import { FrameDemuxer, type StreamName } from "./demux";
import { DockerApiError, DockerUnreachableError } from "./errors";

export interface Attachment {
  /** Writes to the container's stdin, honouring partial writes and back-pressure. */
  writeStdin(data: Uint8Array): Promise<void>;
  /** Half-closes the connection so the container sees EOF on stdin (output keeps flowing). */
  closeStdin(): void;
  /** Resolves when the engine closes the stream (the container's output has ended). */
  readonly done: Promise<void>;
  /** Drops the connection. */
  close(): void;
}

export interface AttachOptions {
  stdin: boolean;
  /**
   * Each frame as it arrives. Returning a promise applies back-pressure: the connection
   * stops reading (the container blocks on its full output pipe) until it settles.
   */
  onFrame: (stream: StreamName, data: Uint8Array) => void | Promise<void>;
}

const HEADER_END = "\r\n\r\n";

/**
 * Attaches to a created container over a hijacked HTTP connection (the only way to send
 * stdin). Must happen before start so no output is lost. The engine answers 101 and then
 * sends multiplexed frames; stdin bytes go raw the other way.
 */
export async function attachContainer(d: DockerClient, id: string, opts: AttachOptions): Promise<Attachment> {
  const version = await d.apiVersion();
  const path = `/v${version}/containers/${encodeURIComponent(id)}/attach?stream=1&stdout=1&stderr=1&stdin=${opts.stdin ? 1 : 0}`;
  let socket: Socket | undefined;
  let slowFrames = 0;
  let closed = false;
  const demux = new FrameDemuxer((stream, data) => {
    const pending = opts.onFrame(stream, data);
    if (!pending) return;
    if (slowFrames++ === 0) socket?.pause();
    void pending.finally(() => {
      if (--slowFrames === 0 && !closed) socket?.resume();
    });
  });

  let headerText = "";
  let upgraded = false;
  let resolveUpgrade!: () => void;
  let rejectUpgrade!: (e: Error) => void;
  const upgrade = new Promise<void>((res, rej) => ((resolveUpgrade = res), (rejectUpgrade = rej)));
  let resolveDone!: () => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => ((resolveDone = res), (rejectDone = rej)));
  done.catch(() => {});
  let drainWaiters: Array<() => void> = [];

  const onData = (chunk: Uint8Array) => {
    if (upgraded) return demux.push(chunk);
    headerText += Buffer.from(chunk).toString("latin1");
    const end = headerText.indexOf(HEADER_END);
    if (end < 0) return;
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headerText)?.[1] ?? 0);
    if (status !== 101 && status !== 200) {
      const body = headerText.slice(end + 4).trim();
      rejectUpgrade(new DockerApiError(status, "POST", `/containers/${id}/attach`, body || `status ${status}`));
      return;
    }
    upgraded = true;
    const rest = Buffer.from(headerText.slice(end + 4), "latin1");
    headerText = "";
    resolveUpgrade();
    if (rest.length) demux.push(rest);
  };
  const onClose = () => {
    closed = true;
    for (const w of drainWaiters) w();
    drainWaiters = [];
    if (!upgraded) rejectUpgrade(new DockerApiError(0, "POST", `/containers/${id}/attach`, "connection closed before upgrade"));
    resolveDone();
  };

  // TLS: bytes written before the handshake completes are lost, so wait for it.
  let resolveHandshake!: () => void;
  let rejectHandshake!: (e: Error) => void;
  const handshake = new Promise<void>((res, rej) => ((resolveHandshake = res), (rejectHandshake = rej)));
  handshake.catch(() => {});

  const handlers = {
    data: (_s: Socket, chunk: Uint8Array) => onData(chunk),
    handshake: (_s: Socket, success: boolean, authError: Error | null) => {
      const verify = d.host.kind === "tcp" && !!d.host.tls?.verify;
      if (success && (!authError || !verify)) resolveHandshake();
      else rejectHandshake(new DockerUnreachableError(d.target, `TLS handshake failed: ${authError?.message ?? "refused"}`));
    },
    drain: () => {
      const ws = drainWaiters;
      drainWaiters = [];
      for (const w of ws) w();
    },
    close: onClose,
    end: onClose,
    error: (_s: Socket, err: Error) => {
      rejectHandshake(err);
      rejectUpgrade(err);
      rejectDone(err);
    },
  };

  const h = d.host;
  try {
    socket =
      h.kind === "unix"
        ? await Bun.connect({ unix: h.socketPath, socket: handlers })
        : await Bun.connect({
            hostname: h.hostname,
            port: h.port,
            tls: h.tls ? { ca: h.tls.ca, cert: h.tls.cert, key: h.tls.key, rejectUnauthorized: h.tls.verify } : undefined,
            socket: handlers,
          });
  } catch (err) {
    throw new DockerUnreachableError(d.target, (err as Error)?.message ?? String(err));
  }

  if (h.kind === "tcp" && h.tls) await handshake;
  const s = socket;
  s.write(
    `POST ${path} HTTP/1.1\r\nHost: docker\r\nContent-Type: text/plain\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
  );
  await upgrade;

  return {
    async writeStdin(data: Uint8Array) {
      let off = 0;
      while (off < data.length && !closed) {
        const n = s.write(data.subarray(off));
        off += Math.max(n, 0);
        if (off < data.length) await new Promise<void>((r) => drainWaiters.push(r));
      }
    },
    closeStdin() {
      // shutdown() half-closes (FIN) and keeps reading; end() would drop the output.
      if (!closed) s.shutdown();
    },
    done,
    close() {
      if (!closed) s.end();
    },
  };
}
