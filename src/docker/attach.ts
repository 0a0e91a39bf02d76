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
  const path = `/containers/${encodeURIComponent(id)}/attach?stream=1&stdout=1&stderr=1&stdin=${opts.stdin ? 1 : 0}`;
  return openHijackedStream(d, path, undefined, opts);
}

/** Reads a hijack request's answer: its status, and the bytes after the header (the first frames). */
function parseUpgradeAnswer(headerText: string): { status: number; end: number } | undefined {
  const end = headerText.indexOf(HEADER_END);
  if (end < 0) return undefined;
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(headerText)?.[1] ?? 0), end };
}

/**
 * One hijacked connection's state, driven by the socket's events: the HTTP upgrade answer
 * first, then multiplexed frames in, with back-pressure, and stdin writes waiting for drain.
 */
class HijackedConnection {
  socket: Socket | undefined;
  closed = false;
  private upgraded = false;
  private headerText = "";
  private slowFrames = 0;
  private drainWaiters: Array<() => void> = [];
  private readonly demux: FrameDemuxer;
  /** Settles once the engine answered the upgrade (101/200) or refused it. */
  readonly upgrade = Promise.withResolvers<void>();
  /** Resolves when the engine closes the stream. */
  readonly done = Promise.withResolvers<void>();
  /** TLS: bytes written before the handshake completes are lost, so the request waits for it. */
  readonly handshake = Promise.withResolvers<void>();

  constructor(
    private readonly docker: DockerClient,
    /** The path without its query, for error messages. */
    private readonly what: string,
    onFrame: AttachOptions["onFrame"],
  ) {
    this.done.promise.catch(() => {});
    this.handshake.promise.catch(() => {});
    this.demux = new FrameDemuxer((stream, data) => this.applyBackPressure(onFrame(stream, data)));
  }

  /** Stops reading while any frame's handler is still settling; resumes when all have. */
  private applyBackPressure(pending: void | Promise<void>): void {
    if (!pending) return;
    if (this.slowFrames++ === 0) this.socket?.pause();
    void pending.finally(() => {
      if (--this.slowFrames === 0 && !this.closed) this.socket?.resume();
    });
  }

  private onData(chunk: Uint8Array): void {
    if (this.upgraded) {
      this.demux.push(chunk);
      return;
    }
    this.headerText += Buffer.from(chunk).toString("latin1");
    const answer = parseUpgradeAnswer(this.headerText);
    if (!answer) return;
    const after = this.headerText.slice(answer.end + HEADER_END.length);
    if (answer.status !== 101 && answer.status !== 200) {
      this.upgrade.reject(new DockerApiError(answer.status, "POST", this.what, after.trim() || `status ${answer.status}`));
      return;
    }
    this.upgraded = true;
    const rest = Buffer.from(after, "latin1");
    this.headerText = "";
    this.upgrade.resolve();
    if (rest.length) this.demux.push(rest);
  }

  private onClose(): void {
    this.closed = true;
    this.releaseDrainWaiters();
    if (!this.upgraded) this.upgrade.reject(new DockerApiError(0, "POST", this.what, "connection closed before upgrade"));
    this.done.resolve();
  }

  private onHandshake(success: boolean, authError: Error | null): void {
    const host = this.docker.host;
    const verify = host.kind === "tcp" && !!host.tls?.verify;
    if (success && (!authError || !verify)) this.handshake.resolve();
    else this.handshake.reject(new DockerUnreachableError(this.docker.target, `TLS handshake failed: ${authError?.message ?? "refused"}`));
  }

  private onError(err: Error): void {
    this.handshake.reject(err);
    this.upgrade.reject(err);
    this.done.reject(err);
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when the socket can take more bytes (or has closed). */
  waitDrain(): Promise<void> {
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  socketHandlers() {
    const onClose = () => this.onClose();
    return {
      data: (_s: Socket, chunk: Uint8Array) => this.onData(chunk),
      handshake: (_s: Socket, success: boolean, authError: Error | null) => this.onHandshake(success, authError),
      drain: () => this.releaseDrainWaiters(),
      close: onClose,
      end: onClose,
      error: (_s: Socket, err: Error) => this.onError(err),
    };
  }
}

/** Opens the raw connection to the engine (unix socket, or TCP with its TLS settings). */
async function connectToEngine(d: DockerClient, handlers: ReturnType<HijackedConnection["socketHandlers"]>): Promise<Socket> {
  const host = d.host;
  try {
    return host.kind === "unix"
      ? await Bun.connect({ unix: host.socketPath, socket: handlers })
      : await Bun.connect({
          hostname: host.hostname,
          port: host.port,
          tls: host.tls ? { ca: host.tls.ca, cert: host.tls.cert, key: host.tls.key, rejectUnauthorized: host.tls.verify } : undefined,
          socket: handlers,
        });
  } catch (err) {
    throw new DockerUnreachableError(d.target, (err as Error)?.message ?? String(err));
  }
}

/** The POST that asks the engine to hijack the connection (`Upgrade: tcp`), with an optional JSON body. */
function upgradeRequest(version: string, path: string, body: unknown): string {
  const payload = body === undefined ? "" : JSON.stringify(body);
  const contentType = body === undefined ? "text/plain" : "application/json";
  const length = body === undefined ? "" : `Content-Length: ${Buffer.byteLength(payload)}\r\n`;
  return `POST /v${version}${path} HTTP/1.1\r\nHost: docker\r\nContent-Type: ${contentType}\r\n${length}Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n${payload}`;
}

function attachmentOver(connection: HijackedConnection, socket: Socket): Attachment {
  return {
    async writeStdin(data: Uint8Array) {
      let offset = 0;
      while (offset < data.length && !connection.closed) {
        const written = socket.write(data.subarray(offset));
        offset += Math.max(written, 0);
        if (offset < data.length) await connection.waitDrain();
      }
    },
    closeStdin() {
      // shutdown() half-closes (FIN) and keeps reading; end() would drop the output.
      if (!connection.closed) socket.shutdown();
    },
    done: connection.done.promise,
    close() {
      if (!connection.closed) socket.end();
    },
  };
}

/**
 * POST `path` (unversioned; a JSON `body` if given) over a connection the engine then hijacks
 * for a multiplexed stream: container attach and exec start (`/exec/{id}/start`).
 */
export async function openHijackedStream(d: DockerClient, path: string, body: unknown, opts: Pick<AttachOptions, "onFrame">): Promise<Attachment> {
  const version = await d.apiVersion();
  const connection = new HijackedConnection(d, path.replace(/\?.*$/, ""), opts.onFrame);
  const socket = await connectToEngine(d, connection.socketHandlers());
  connection.socket = socket;
  if (d.host.kind === "tcp" && d.host.tls) await connection.handshake.promise;
  socket.write(upgradeRequest(version, path, body));
  await connection.upgrade.promise;
  return attachmentOver(connection, socket);
}
