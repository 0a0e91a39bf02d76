import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTlsOptions, describeFetchFailure, loadCaCert, sendApiRequest } from "../../../src/client/transport";
import { parseBaseUrl } from "../../../src/client/client";

const dir = mkdtempSync(join(tmpdir(), "ctl-transport-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fail(code: string | undefined, message: string, name = "TypeError") {
  return Object.assign(new Error(message), { code, name });
}

test("connection failures become one line that says what to check", () => {
  const url = "http://127.0.0.1:1/v1/services/app/units";
  const refused = describeFetchFailure(fail("ECONNREFUSED", "ECONNREFUSED: Unable to connect."), url).message;
  expect(refused).toBe("cannot connect to deployster at http://127.0.0.1:1: connection refused (is deployster serve running there? check --url)");
  expect(describeFetchFailure(fail("ENOTFOUND", "getaddrinfo ENOTFOUND nosuch.invalid"), "http://nosuch.invalid:3000/v1").message).toBe(
    'cannot connect to deployster at http://nosuch.invalid:3000: unknown host "nosuch.invalid" (check --url)',
  );
  expect(describeFetchFailure(fail("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate"), "https://h:1/v1").message).toContain(
    "not trusted (unable to verify the first certificate); pass its CA with --ca-cert or DEPLOYSTER_CA_CERT",
  );
  expect(describeFetchFailure(fail("ECONNRESET", "The socket connection was closed unexpectedly"), "http://h:1/").message).toContain(
    "is it an HTTPS server?",
  );
  expect(describeFetchFailure(fail(undefined, "The operation timed out.", "TimeoutError"), "http://h:1/").message).toBe(
    "no answer from deployster at http://h:1 (timed out)",
  );
  for (const m of [refused]) expect(m).not.toContain("\n");
});

test("parseBaseUrl accepts http(s) only", () => {
  expect(parseBaseUrl("http://localhost:3000").href).toBe("http://localhost:3000/");
  expect(parseBaseUrl("https://d.example/prefix").pathname).toBe("/prefix");
  for (const bad of ["localhost:3000", "foo", "ftp://x", "http://", "http://h:1/?q=1"]) {
    expect(() => parseBaseUrl(bad)).toThrow(/invalid URL/);
  }
  expect(() => parseBaseUrl("foo", "DEPLOYSTER_URL")).toThrow('invalid URL "foo" (DEPLOYSTER_URL)');
});

test("loadCaCert: missing file, non-PEM file, good file", () => {
  expect(() => loadCaCert(join(dir, "none.pem"))).toThrow("no such file");
  writeFileSync(join(dir, "junk.pem"), "not a cert");
  expect(() => loadCaCert(join(dir, "junk.pem"), "DEPLOYSTER_CA_CERT")).toThrow("holds no PEM certificate");
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  writeFileSync(join(dir, "ok.pem"), pem);
  expect(loadCaCert(join(dir, "ok.pem"))).toBe(pem);
});

test("--ca-cert adds to the system roots instead of replacing them", () => {
  expect(buildTlsOptions(undefined)).toBeUndefined();
  const tls = buildTlsOptions(["EXTRA"])!;
  expect(tls.ca.length).toBeGreaterThan(50);
  expect(tls.ca.at(-1)).toBe("EXTRA");
});

test("a refused connection through the real fetch", async () => {
  const err = await sendApiRequest({ method: "GET", url: "http://127.0.0.1:1/v1/version", headers: {} }).catch((e) => e);
  expect(err.name).toBe("ConnectionError");
  expect(err.message).toContain("connection refused");
});
