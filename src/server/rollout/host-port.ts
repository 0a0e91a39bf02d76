/**
 * The published port of an engine instance, chosen before it is created so that the
 * instance can be told it (DEPLOYSTER_PUBLISHED_PORT): the kernel hands out a free port on
 * the publish address, and the container is created with that port. Another process may take
 * it in between: the start then fails with "port is already allocated" (or "address already
 * in use"), and the caller creates the container again with another port.
 *
 * Only when the engine shares this host's ports (a unix socket and no --instance-host);
 * otherwise Docker chooses the port when the container starts, and it is not in the
 * environment.
 */
import { createServer } from "node:net";

export const PORT_ATTEMPTS = 3;

/** A TCP port free on `host` right now; undefined when none can be had (Docker then chooses). */
export function pickHostPort(host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(undefined));
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : undefined;
      srv.close(() => resolve(port));
    });
  });
}

/** The start failed because the chosen port was taken meanwhile. */
export function isPortTaken(err: unknown): boolean {
  return /port is already allocated|address already in use/i.test((err as Error)?.message ?? "");
}
