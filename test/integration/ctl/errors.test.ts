/**
 * Through the compiled binary: usage errors, help, the deployctl name, and the three ways
 * to miss the server (bad URL, refused connection, wrong password): one line, exit 1.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import {
  BIN, PASSWORD, type TestServer, assertNoLeftovers, cleanupFile, ensureBinary, freePort, makeDeployctlLink,
  requireDocker, runBinary, startServer,
} from "./harness";

const FILE = "errors";
let server: TestServer;
let link: { path: string; dir: string };

beforeAll(async () => {
  await requireDocker();
  await ensureBinary();
  link = makeDeployctlLink();
  server = await startServer({ fileLabel: FILE });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (link) rmSync(link.dir, { recursive: true, force: true });
  await cleanupFile(FILE);
  await assertNoLeftovers(FILE);
}, 60_000);

const ctl = (args: string[], env: Record<string, string> = {}) => runBinary([BIN, "ctl", ...args], env);
const good = () => ({ DEPLOYSTER_URL: server.url, DEPLOYSTER_PASSWORD: PASSWORD });

describe("usage", () => {
  test("deployctl's Error lines, then the usage, exit 2", async () => {
    const cases: [string[], string][] = [
      [["deploy"], "Error: Service required"],
      [["d", "ctltest-errors"], "Error: Version required"],
      [["run", "ctltest-errors", "v1"], "Error: Command required"],
      [["r", "ctltest-errors"], "Error: Version required"],
      [["destroy"], "Error: Service required"],
      [["x", "ctltest-errors"], "Error: Version required"],
      [["list"], "Error: Service required"],
    ];
    for (const [args, line] of cases) {
      const r = await ctl(args, good());
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err.split("\n")[0]).toBe(line);
      expect(r.err).toContain("Usage: deployster ctl [global options]");
    }
  }, 60_000);

  test("unknown command and option, no command", async () => {
    const cmd = await ctl(["frobnicate"]);
    expect(cmd.code).toBe(2);
    expect(cmd.err).toStartWith('Error: unknown command "frobnicate"\n');
    const opt = await ctl(["run", "ctltest-errors", "v1", "ls", "-la"]);
    expect(opt.code).toBe(2);
    expect(opt.err).toStartWith("Error: unknown option -la (to pass options to the task, put them after --");
    const none = await ctl([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain("Usage: deployster ctl");
  });

  test("help exits 0 and names every command", async () => {
    const r = await ctl(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["deploy|d", "run|r", "destroy|x", "list|l", "status", "rollback"]) expect(r.out).toContain(c);
    expect((await ctl(["help", "deploy"])).out).toContain("--skip-destroy-previous");
  });

  test("invoked as deployctl: same commands, its own name in the usage", async () => {
    const r = await runBinary([link.path, "deploy"]);
    expect(r.code).toBe(2);
    expect(r.err.split("\n")[0]).toBe("Error: Service required");
    expect(r.err).toContain("Usage: deployctl [global options]");
    const v = await runBinary([link.path, "--version"]);
    expect(v).toMatchObject({ code: 0 });
    expect(v.out).toMatch(/^deployctl version \d+\.\d+\.\d+\n$/);
    const list = await runBinary([link.path, "l", "ctltest-errors"], good());
    expect(list.code).toBe(0);
    expect(list.out).toStartWith("#    Version    Current state");
  });
});

describe("the server says no: deployctl's three lines on stdout, exit 1", () => {
  const block = (heading: string, status: string) => new RegExp(`^${heading}\\n-- Response Status: ${status}\\n-- Response Body: \\{"description":".+","error":"[^"]+"\\}\\n\\n$`);

  test("destroy of an invalid version: Destroy failed :(", async () => {
    const r = await ctl(["destroy", "ctltest-errors", "bad:version"], good());
    expect(r.code).toBe(1);
    expect(r.err).toBe("");
    expect(r.out).toMatch(block("Destroy failed :\\(", "400 Bad Request"));
  });

  test("list of an invalid service name: List failed :(", async () => {
    const r = await ctl(["list", "_bad"], good());
    expect(r.code).toBe(1);
    expect(r.out).toMatch(block("List failed :\\(", "400 Bad Request"));
  });

  test("status of an unknown deploy: Status failed :( with the 404", async () => {
    const r = await ctl(["status", "ctltest-errors", "v1"], good());
    expect(r.code).toBe(1);
    expect(r.out).toMatch(block("Status failed :\\(", "404 Not Found"));
  });

  test("rollback with nothing running: Rollback failed :( with the 409", async () => {
    const r = await ctl(["rollback", "ctltest-errors"], good());
    expect(r.code).toBe(1);
    expect(r.out).toMatch(block("Rollback failed :\\(", "409 Conflict"));
  });

  test("status of a service without deploys: exit 0", async () => {
    expect(await ctl(["status", "ctltest-errors"], good())).toEqual({ code: 0, out: "No deploys.\n", err: "" });
    expect(JSON.parse((await ctl(["status", "ctltest-errors", "--json"], good())).out)).toEqual({ deploys: [] });
  });
});

describe("missing the server: one clear line, exit 1", () => {
  test("a bad URL", async () => {
    for (const url of ["localhost:3000", "ftp://127.0.0.1:3000", "not a url"]) {
      const r = await ctl(["list", "ctltest-errors", "--url", url]);
      expect(r).toMatchObject({ code: 1, out: "" });
      expect(r.err).toBe(`Error: invalid URL "${url}" (--url): expected http://HOST[:PORT] or https://HOST[:PORT]\n`);
    }
    const env = await ctl(["list", "ctltest-errors"], { DEPLOYSTER_URL: "127.0.0.1:3000" });
    expect(env.err).toBe('Error: invalid URL "127.0.0.1:3000" (DEPLOYSTER_URL): expected http://HOST[:PORT] or https://HOST[:PORT]\n');
  });

  test("an unknown host", async () => {
    const r = await ctl(["list", "ctltest-errors", "--url", "http://nosuch.invalid:3000"]);
    expect(r).toMatchObject({ code: 1, out: "" });
    expect(r.err).toBe('Error: cannot connect to deployster at http://nosuch.invalid:3000: unknown host "nosuch.invalid" (check --url)\n');
  });

  test("a refused connection, for every command", async () => {
    const url = `http://127.0.0.1:${freePort()}`;
    const expected = `Error: cannot connect to deployster at ${url}: connection refused (is deployster serve running there? check --url)\n`;
    for (const args of [["deploy", "a", "v1"], ["run", "a", "v1", "true"], ["destroy", "a", "v1"], ["list", "a"], ["status", "a"], ["rollback", "a"]]) {
      const r = await ctl([...args, "--url", url]);
      expect(r).toEqual({ code: 1, out: "", err: expected });
    }
  });

  test("a wrong password, for every command", async () => {
    const expected = `Error: deployster at ${server.url} refused the credentials of user "deployster" (401 Unauthorized); check --username/--password or DEPLOYSTER_USERNAME/DEPLOYSTER_PASSWORD\n`;
    for (const args of [["deploy", "ctltest-errors", "v1"], ["run", "ctltest-errors", "v1", "true"], ["destroy", "ctltest-errors", "v1"], ["list", "ctltest-errors"], ["status", "ctltest-errors"], ["status", "ctltest-errors", "v1"], ["rollback", "ctltest-errors"]]) {
      const r = await ctl(args, { DEPLOYSTER_URL: server.url, DEPLOYSTER_PASSWORD: "wrong" });
      expect(r).toEqual({ code: 1, out: "", err: expected });
    }
    const user = await ctl(["list", "ctltest-errors", "--username", "eve", "--password", PASSWORD], { DEPLOYSTER_URL: server.url });
    expect(user.err).toContain('refused the credentials of user "eve"');
    const none = await ctl(["list", "ctltest-errors", "--url", server.url]);
    expect(none.err).toContain("no password was given");
  }, 60_000);

  test("an HTTPS URL on a plain HTTP server", async () => {
    const r = await ctl(["list", "ctltest-errors", "--url", server.url.replace("http:", "https:")], { DEPLOYSTER_PASSWORD: PASSWORD });
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toBe(
      `Error: the TLS handshake with deployster at ${server.url.replace("http:", "https:")} failed (does the server speak HTTPS on that port? if not, use an http:// URL)\n`,
    );
  });
});
