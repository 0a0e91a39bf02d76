/**
 * --ca-cert against `serve --cert/--key`: a CA and a server certificate for 127.0.0.1 made
 * here with openssl. The CA is added to the system roots, not
 * put in their place.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, PASSWORD, type TestServer, assertNoLeftovers, cleanupFile, ensureBinary, requireDocker, runBinary, startServer } from "./harness";

const FILE = "tls";
let server: TestServer;
let dir: string;

function openssl(args: string[]) {
  const p = Bun.spawnSync(["openssl", ...args], { cwd: dir });
  if (p.exitCode !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${p.stderr.toString()}`);
}

beforeAll(async () => {
  await requireDocker();
  await ensureBinary();
  if (!Bun.which("openssl")) throw new Error("these tests need openssl (apt-get install openssl)");
  dir = mkdtempSync(join(tmpdir(), "ctltest-tls-"));
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=ctltest CA"]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
  await Bun.write(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"]);
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other-ca.pem", "-days", "2", "-subj", "/CN=another CA"]);
  server = await startServer({ fileLabel: FILE, https: true, args: ["--cert", join(dir, "server.pem"), "--key", join(dir, "server.key")] });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await cleanupFile(FILE);
  await assertNoLeftovers(FILE);
}, 60_000);

const ctl = (args: string[], env: Record<string, string> = {}) =>
  runBinary([BIN, "ctl", ...args], { DEPLOYSTER_URL: server.url, DEPLOYSTER_PASSWORD: PASSWORD, ...env });

test("with --ca-cert the server's certificate is trusted", async () => {
  const r = await ctl(["list", "ctltest-tls", "--ca-cert", join(dir, "ca.pem")]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(r.out).toStartWith("#    Version    Current state    Desired state    Machine ID    Timestamp\n");
});

test("DEPLOYSTER_CA_CERT works the same", async () => {
  const r = await ctl(["status", "ctltest-tls"], { DEPLOYSTER_CA_CERT: join(dir, "ca.pem") });
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
});

test("without the CA (or with another one): one line naming --ca-cert, exit 1", async () => {
  for (const extra of [[], ["--ca-cert", join(dir, "other-ca.pem")]]) {
    const r = await ctl(["list", "ctltest-tls", ...extra]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
    expect(r.err).toStartWith(`Error: the TLS certificate of deployster at ${server.url} is not trusted`);
    expect(r.err).toContain("--ca-cert");
  }
});

test("a CA file that isn't one: one line", async () => {
  const r = await ctl(["list", "ctltest-tls", "--ca-cert", join(dir, "ca.key")]);
  expect(r).toEqual({ code: 1, out: "", err: `Error: the CA certificate ${join(dir, "ca.key")} (--ca-cert) holds no PEM certificate\n` });
});
