import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerClient } from "../../../src/docker/client";
import { runContainer } from "../../../src/docker/run";
import { BUSYBOX, requireDocker } from "../../support/docker";

// A loopback TCP (optionally TLS) listener that forwards each connection to the engine's unix
// socket, so DOCKER_HOST=tcp://... is exercised against the real engine.
function startProxy(tls?: { cert: string; key: string }): TCPSocketListener<{ upstream?: Socket; pending: Uint8Array[] }> {
  return Bun.listen<{ upstream?: Socket; pending: Uint8Array[] }>({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    allowHalfOpen: true,
    socket: {
      open(client) {
        client.data = { pending: [] };
        Bun.connect({
          unix: "/var/run/docker.sock",
          allowHalfOpen: true,
          socket: {
            data: (_u, chunk) => void client.write(chunk),
            close: () => void client.end(),
            error: () => void client.end(),
          },
        }).then((u) => {
          client.data.upstream = u;
          for (const p of client.data.pending) u.write(p);
          client.data.pending = [];
        });
      },
      data(client, chunk) {
        if (client.data.upstream) client.data.upstream.write(chunk);
        else client.data.pending.push(Buffer.from(chunk));
      },
      // The client's half-close is stdin EOF for the container: pass it on, keep reading.
      end(client) {
        client.data?.upstream?.shutdown();
      },
      close(client) {
        client.data?.upstream?.end();
      },
    },
  });
}


function openssl(args: string[], cwd: string) {
  const p = Bun.spawnSync(["openssl", ...args], { cwd, stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${p.stderr}`);
}

let certDir: string;
beforeAll(async () => {
  await requireDocker();
  certDir = mkdtempSync(join(tmpdir(), "deployster-tls-"));
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "1", "-subj", "/CN=test-ca"], certDir);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], certDir);
  writeFileSync(join(certDir, "ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "ext.cnf"], certDir);
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));

async function exercise(d: DockerClient) {
  expect(await d.apiVersion()).toMatch(/^1\.\d+$/);
  const r = await runContainer(d, { image: BUSYBOX, entrypoint: ["cat"], stdin: "over tcp\n", labels: { "deployster.test": "docker-tcp" }, network: "none" });
  expect(r.exitCode).toBe(0);
  expect(r.stdout.toString()).toBe("over tcp\n");
}

describe("DOCKER_HOST=tcp://", () => {
  test("plain TCP: requests and hijacked attach with stdin", async () => {
    const proxy = startProxy();
    try {
      await exercise(DockerClient.fromEnv({ DOCKER_HOST: `tcp://127.0.0.1:${proxy.port}` }));
    } finally {
      proxy.stop(true);
    }
  });

  test("TLS with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (CA verified)", async () => {
    const proxy = startProxy({ cert: await Bun.file(join(certDir, "server.pem")).text(), key: await Bun.file(join(certDir, "server-key.pem")).text() });
    try {
      const d = DockerClient.fromEnv({ DOCKER_HOST: `tcp://127.0.0.1:${proxy.port}`, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certDir });
      expect(d.host.kind === "tcp" && d.host.baseUrl.startsWith("https://")).toBe(true);
      await exercise(d);
    } finally {
      proxy.stop(true);
    }
  });

  test("TLS without verification (DOCKER_CERT_PATH only) talks to an untrusted server", async () => {
    const proxy = startProxy({ cert: await Bun.file(join(certDir, "server.pem")).text(), key: await Bun.file(join(certDir, "server-key.pem")).text() });
    const other = mkdtempSync(join(tmpdir(), "deployster-noverify-"));
    try {
      const d = DockerClient.fromEnv({ DOCKER_HOST: `tcp://127.0.0.1:${proxy.port}`, DOCKER_CERT_PATH: other });
      await exercise(d);
    } finally {
      proxy.stop(true);
      rmSync(other, { recursive: true, force: true });
    }
  });

  test("TLS verification refuses a server whose CA we do not trust", async () => {
    const proxy = startProxy({ cert: await Bun.file(join(certDir, "server.pem")).text(), key: await Bun.file(join(certDir, "server-key.pem")).text() });
    const other = mkdtempSync(join(tmpdir(), "deployster-othertls-"));
    try {
      openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "ca.pem", "-days", "1", "-subj", "/CN=other"], other);
      const d = DockerClient.fromEnv({ DOCKER_HOST: `tcp://127.0.0.1:${proxy.port}`, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: other });
      await expect(d.apiVersion()).rejects.toThrow();
    } finally {
      proxy.stop(true);
      rmSync(other, { recursive: true, force: true });
    }
  });
});
