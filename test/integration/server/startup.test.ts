/**
 * Start-up and shutdown of `deployster serve` (decisions 10, 11): TLS mistakes and listen
 * failures are start-up errors with a non-zero exit, a generated password is printed once,
 * HTTPS works with a real certificate, `:PORT` listens on all interfaces, SIGTERM exits 0.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../support/registry";
import { cleanEnv, ensureBinary, PASSWORD, TestScope } from "./harness";

const scope = new TestScope("startup");
const dir = mkdtempSync(join(tmpdir(), "srv-startup-"));

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  expect(await scope.cleanup()).toEqual([]);
});

async function runServe(args: string[], env: Record<string, string> = {}, waitMs = 15_000): Promise<{ code: number | null; out: string }> {
  const bin = await ensureBinary();
  const proc = Bun.spawn([bin, "serve", ...args], { env: cleanEnv({ DEPLOYSTER_SERVE_LABELS: scope.serveLabels, ...env }), stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), waitMs);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code: proc.signalCode ? null : code, out: out + err };
}

function makeCert(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const p = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
  return { cert, key };
}

describe("start-up errors exit non-zero", () => {
  test("--cert without --key, --key without --cert", async () => {
    const { cert, key } = makeCert("a");
    const r1 = await runServe(["--listen", `127.0.0.1:${freePort()}`, "--password", "x", "--cert", cert]);
    expect(r1.code).toBe(1);
    expect(r1.out).toContain("--cert needs --key");
    const r2 = await runServe(["--listen", `127.0.0.1:${freePort()}`, "--password", "x", "--key", key]);
    expect(r2.code).toBe(1);
    expect(r2.out).toContain("--key needs --cert");
  });

  test("a bad certificate, a missing file, a key of another certificate", async () => {
    const a = makeCert("a2");
    const b = makeCert("b2");
    const garbage = join(dir, "garbage.pem");
    writeFileSync(garbage, "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n");
    const port = `127.0.0.1:${freePort()}`;
    const bad = await runServe(["--listen", port, "--password", "x", "--cert", garbage, "--key", a.key]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain("not a PEM certificate");
    const missing = await runServe(["--listen", port, "--password", "x", "--cert", join(dir, "nope.crt"), "--key", a.key]);
    expect(missing.code).toBe(1);
    expect(missing.out).toContain("cannot read");
    const mismatch = await runServe(["--listen", port, "--password", "x", "--cert", a.cert, "--key", b.key]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.out).toContain("does not belong");
  });

  test("a listen failure (port taken) exits non-zero", async () => {
    const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const r = await runServe(["--listen", `127.0.0.1:${holder.port}`, "--password", "x"]);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`cannot listen on 127.0.0.1:${holder.port}`);
    } finally {
      holder.stop(true);
    }
  });

  test("a malformed --listen exits non-zero", async () => {
    const r = await runServe(["--listen", "nowhere", "--password", "x"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("--listen");
  });
});

describe("running", () => {
  test("no password given: a random one is printed once and works; the old default does not", async () => {
    const bin = await ensureBinary();
    const port = freePort();
    const proc = Bun.spawn([bin, "serve", "--listen", `:${port}`], { env: cleanEnv({ DEPLOYSTER_SERVE_LABELS: scope.serveLabels }), stdout: "pipe", stderr: "pipe" });
    try {
      const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
      let out = "";
      const deadline = Date.now() + 15_000;
      while (!/generated password for user "deployster": (\S+)/.test(out) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      const password = /generated password for user "deployster": (\S+)/.exec(out)?.[1];
      expect(password).toBeDefined();
      expect(out.split(password!).length - 1).toBe(1);
      const auth = (p: string) => ({ authorization: `Basic ${Buffer.from(`deployster:${p}`).toString("base64")}` });
      // :PORT listens on all interfaces, loopback included
      expect((await fetch(`http://127.0.0.1:${port}/v1/version`, { headers: auth(password!) })).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/v1/version`, { headers: auth("mmmhm") })).status).toBe(401);
      reader.releaseLock();
    } finally {
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    }
  });

  test("HTTPS with --cert and --key; DEPLOYSTER_PASSWORD; SIGTERM exits 0", async () => {
    const { cert, key } = makeCert("tls");
    const bin = await ensureBinary();
    const port = freePort();
    const proc = Bun.spawn([bin, "serve", "--listen", `127.0.0.1:${port}`, "--cert", cert, "--key", key], {
      env: cleanEnv({ DEPLOYSTER_PASSWORD: PASSWORD, DEPLOYSTER_SERVE_LABELS: scope.serveLabels }),
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      let status = 0;
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        try {
          const r = await fetch(`https://127.0.0.1:${port}/v1/version`, {
            headers: { authorization: `Basic ${Buffer.from(`deployster:${PASSWORD}`).toString("base64")}` },
            tls: { rejectUnauthorized: false },
          } as RequestInit);
          status = r.status;
          await r.arrayBuffer();
          break;
        } catch {
          await Bun.sleep(100);
        }
      }
      expect(status).toBe(200);
      // and plain HTTP is not served on that port
      const plain = await fetch(`http://127.0.0.1:${port}/v1/version`).then((r) => r.status, () => -1);
      expect(plain).not.toBe(200);
    } finally {
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    }
  }, 60_000);
});
