/**
 * runCtl end to end against a scripted in-process HTTP server: the exact lines and exit
 * codes of every command (the real server is exercised in test/integration/ctl/).
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { runCtl } from "../../../src/commands/ctl/index";
import { StreamWriter, writeChunk } from "../../../src/commands/ctl/io";

type Handler = (req: Request, url: URL) => Response | Promise<Response>;
let handler: Handler = () => new Response("no handler", { status: 500 });
const requests: { method: string; path: string; auth: string | null; body: string }[] = [];

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const body = await req.clone().text();
    requests.push({ method: req.method, path: url.pathname + url.search, auth: req.headers.get("authorization"), body });
    return handler(req, url);
  },
});
const URL_ = `http://127.0.0.1:${server.port}`;
afterAll(() => server.stop(true));
beforeEach(() => {
  requests.length = 0;
});

function sink(isTTY = false) {
  const chunks: string[] = [];
  const dec = new TextDecoder();
  return {
    isTTY,
    write(c: string | Uint8Array) {
      chunks.push(typeof c === "string" ? c : dec.decode(c));
      return true;
    },
    get text() {
      return chunks.join("");
    },
  };
}

async function ctl(args: string[], env: Record<string, string> = {}, tty = false) {
  const stdout = sink(tty);
  const stderr = sink();
  const code = await runCtl(args, {
    env: { DEPLOYSTER_URL: URL_, DEPLOYSTER_PASSWORD: "pw", ...env },
    stdout, stderr, programName: "deployctl", sleep: async () => {},
  });
  return { code, out: stdout.text, err: stderr.text };
}

const json = (doc: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(doc), { status, headers: { "Content-Type": "application/json", ...headers } });
const apiError = (status: number, description: string, error: string) => json({ description, error }, status);
const unauthorized = () =>
  new Response(JSON.stringify({ description: "Unauthorized", error: "Unauthorized" }), {
    status: 401, headers: { "WWW-Authenticate": 'Basic realm="Deployster"', "Content-Type": "application/json" },
  });

describe("deploy", () => {
  test("201 → Deploy triggered!, exit 0; body and auth as the original sent them", async () => {
    handler = () => new Response(null, { status: 201 });
    const r = await ctl(["deploy", "app", "v2"]);
    expect(r).toEqual({ code: 0, out: "Deploy triggered!\n", err: "" });
    expect(requests[0]).toMatchObject({ method: "POST", path: "/v1/services/app/deploys", auth: `Basic ${btoa("deployster:pw")}` });
    expect(JSON.parse(requests[0].body)).toEqual({ deploy: { version: "v2", destroy_previous: true, instance_count: 0 } });
  });

  test("--skip-destroy-previous prints its line first and sends destroy_previous false", async () => {
    handler = () => new Response(null, { status: 201 });
    const r = await ctl(["d", "app", "v2", "--skip-destroy-previous", "--instances", "3", "--timestamp", "2015.01.02-03.04.05"]);
    expect(r.out).toBe("Skipping destruction of previous version...\nDeploy triggered!\n");
    expect(JSON.parse(requests[0].body)).toEqual({
      deploy: { version: "v2", destroy_previous: false, instance_count: 3, timestamp: "2015.01.02-03.04.05" },
    });
  });

  test("other status → the original's three lines, exit 1", async () => {
    const description = "Too many versions are running.  Destroying previous units is not supported when more than one version is currently running.";
    handler = () => apiError(400, description, "Bad Request");
    const r = await ctl(["deploy", "app", "v2"]);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      `Deploy failed :(\n-- Response Status: 400 Bad Request\n-- Response Body: ${JSON.stringify({ description, error: "Bad Request" })}\n`,
    );
  });

  test("401 → one clear line on stderr, exit 1", async () => {
    handler = unauthorized;
    const r = await ctl(["deploy", "app", "v2"], { DEPLOYSTER_PASSWORD: "wrong" });
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
    expect(r.err).toContain("refused the credentials");
    expect(r.err).toStartWith("Error: ");
  });

  test("--wait follows the Location until live", async () => {
    let polls = 0;
    handler = (req, url) => {
      if (req.method === "POST") return new Response(null, { status: 201, headers: { Location: "/v1/services/app/deploys/v2?timestamp=2015.01.02-03.04.05" } });
      polls++;
      expect(url.search).toBe("?timestamp=2015.01.02-03.04.05");
      const ready = Math.min(polls - 1, 2);
      return json({ deploy: { service: "app", version: "v2", timestamp: "2015.01.02-03.04.05", state: ready === 2 ? "live" : "rolling",
        instances: [1, 2].map((i) => ({ instance: String(i), state: i <= ready ? "ready" : "booting" })) } });
    };
    const r = await ctl(["deploy", "app", "v2", "--wait"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        "Deploy triggered!",
        "app v2 (2015.01.02-03.04.05): rolling, 0/2 instances ready",
        "app v2 (2015.01.02-03.04.05): rolling, 1/2 instances ready",
        "app v2 (2015.01.02-03.04.05): live, 2/2 instances ready",
        "Deploy live: app v2 (2015.01.02-03.04.05), 2/2 instances ready",
        "",
      ].join("\n"),
    );
  });

  test("--wait on a failing deploy: exit 1 with the reason and the instance's last log lines", async () => {
    handler = (req) => {
      if (req.method === "POST") return new Response(null, { status: 201 });
      return json({ deploy: { service: "app", version: "v3", timestamp: "2015.01.02-03.04.05", state: "failed",
        reason: "instance 1 was not ready after 2s", log_tail: ["starting v3", "cannot bind :3000"],
        instances: [{ instance: "1", state: "failed" }] } });
    };
    const r = await ctl(["deploy", "app", "v3", "--wait"]);
    expect(r.code).toBe(1);
    expect(requests[1].path).toBe("/v1/services/app/deploys/v3");
    expect(r.out).toBe(
      [
        "Deploy triggered!",
        "app v3 (2015.01.02-03.04.05): failed, 0/1 instance ready",
        "Deploy failed: app v3 (2015.01.02-03.04.05): instance 1 was not ready after 2s",
        "-- Last log lines of instance 1:",
        "   starting v3",
        "   cannot bind :3000",
        "",
      ].join("\n"),
    );
  });

  test("--wait on a TTY redraws one progress line", async () => {
    handler = (req) => (req.method === "POST" ? new Response(null, { status: 201 }) : json({ deploy: { version: "v2", state: "live", instances: [{ instance: "1", state: "ready" }] } }));
    const r = await ctl(["deploy", "app", "v2", "--wait"], {}, true);
    expect(r.code).toBe(0);
    expect(r.out).toContain("\r\x1b[Kapp v2: live, 1/1 instance ready (");
    expect(r.out).toEndWith("\r\x1b[KDeploy live: app v2, 1/1 instance ready\n");
  });

  test("--wait gives up after --wait-timeout", async () => {
    handler = (req) => (req.method === "POST" ? new Response(null, { status: 201 }) : json({ deploy: { version: "v2", state: "rolling", instances: [{ instance: "1", state: "booting" }] } }));
    // sleep is instant here, so the budget is spent by the fake clock only: use real time
    const r = await ctl(["deploy", "app", "v2", "--wait", "--wait-timeout", "50ms"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error: gave up waiting after 50ms: app v2 is still rolling, 0/1 instance ready\n");
  });
});

describe("run", () => {
  function stream(parts: string[], opts: { cut?: boolean } = {}) {
    return () =>
      new Response(
        new ReadableStream({
          async start(c) {
            for (const p of parts) {
              c.enqueue(new TextEncoder().encode(p));
              await Bun.sleep(5);
            }
            if (opts.cut) c.error(new Error("boom"));
            else c.close();
          },
        }),
        { status: 200, headers: { "Content-Type": "text/plain" } },
      );
  }

  test("streams the output verbatim and exits 0 on `Exited (0) `", async () => {
    handler = stream(["hello\n", "world\n", "\nExit", "ed (0) \n"]);
    const r = await ctl(["run", "app", "v1", "echo", "hello"]);
    expect(r).toEqual({ code: 0, out: "hello\nworld\n\nExited (0) \n", err: "" });
    expect(JSON.parse(requests[0].body)).toEqual({ task: { version: "v1", command: "echo hello" } });
  });

  test("exits with the task's code (3, 124)", async () => {
    handler = stream(["oops\n", "\nExited (3) \n"]);
    expect((await ctl(["r", "app", "v1", "--", "sh", "-c", "exit 3"])).code).toBe(3);
    expect(JSON.parse(requests[0].body).task.command).toBe("sh -c exit 3");
    handler = stream(["\nExited (124) The task timed out after 1s. Forcefully removing container.\n"]);
    expect((await ctl(["r", "app", "v1", "sleep", "10"])).code).toBe(124);
  });

  test("a stream that ends without the trailer is an error", async () => {
    handler = stream(["partial output\n"]);
    const r = await ctl(["run", "app", "v1", "x"]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("partial output\n");
    expect(r.err).toContain('ended without its "Exited (N)" line');
  });

  test("a reader that goes away (`| head`): the stream is dropped, exit 141, no hang", async () => {
    let cancelled = false;
    handler = () =>
      new Response(
        new ReadableStream({
          async pull(c) {
            await Bun.sleep(1);
            c.enqueue(new TextEncoder().encode("line\n"));
          },
          cancel() {
            cancelled = true;
          },
        }),
        { status: 200 },
      );
    const stderr = sink();
    let writes = 0;
    const stdout = {
      write() {
        if (++writes > 3) throw Object.assign(new Error("EPIPE: broken pipe, write"), { code: "EPIPE" });
        return true;
      },
    };
    const code = await runCtl(["run", "app", "v1", "yes"], { env: { DEPLOYSTER_URL: URL_ }, stdout, stderr });
    expect(code).toBe(141);
    expect(stderr.text).toBe("");
    await Bun.sleep(50);
    expect(cancelled).toBe(true);
  });

  test("non-200 → Task failed to launch :( and the two lines", async () => {
    handler = () => new Response("ERROR: no such image\n", { status: 500 });
    const r = await ctl(["run", "app", "v1", "x"]);
    expect(r).toEqual({
      code: 1,
      out: "Task failed to launch :(\n-- Response Status: 500 Internal Server Error\n-- Response Body: ERROR: no such image\n\n",
      err: "",
    });
  });
});

describe("destroy, list, status, rollback", () => {
  test("destroy 204 → Destroy triggered!; other → Destroy failed :(", async () => {
    handler = () => new Response(null, { status: 204 });
    expect(await ctl(["x", "app", "v1", "--timestamp", "2015.01.02-03.04.05"])).toEqual({ code: 0, out: "Destroy triggered!\n", err: "" });
    expect(requests[0]).toMatchObject({ method: "DELETE", path: "/v1/services/app/deploys/v1?timestamp=2015.01.02-03.04.05" });
    handler = () => apiError(400, "bad version", "Bad Request");
    const r = await ctl(["destroy", "app", "v1"]);
    expect(r.code).toBe(1);
    expect(r.out).toStartWith("Destroy failed :(\n-- Response Status: 400 Bad Request\n-- Response Body: {");
  });

  test("list prints the table; --json the document; escaped path", async () => {
    const units = [{ service: "a/b", instance: "1", version: "v1", current_state: "launched", desired_state: "launched", machine_id: "abc", deploy_timestamp: "2015.01.02-03.04.05" }];
    handler = () => json({ units });
    const r = await ctl(["l", "a/b"]);
    expect(requests[0].path).toBe("/v1/services/a%2Fb/units");
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      "#    Version    Current state    Desired state    Machine ID    Timestamp\n" +
        "-    -------    -------------    -------------    ----------    ---------\n" +
        "1    v1         launched         launched         abc           2015.01.02-03.04.05\n",
    );
    expect(JSON.parse((await ctl(["list", "a/b", "--json"])).out)).toEqual({ units });
  });

  test("list checks the status: 401 is not an empty table", async () => {
    handler = unauthorized;
    const r = await ctl(["list", "app"]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/^Error: deployster at http:\/\/127\.0\.0\.1:\d+ refused the credentials of user "deployster"/);
    handler = () => new Response("boom", { status: 500 });
    expect(await ctl(["list", "app"])).toEqual({ code: 1, out: "List failed :(\n-- Response Status: 500 Internal Server Error\n-- Response Body: boom\n", err: "" });
    handler = () => new Response("<html>", { status: 200 });
    const bad = await ctl(["list", "app"]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("not JSON");
  });

  test("status lists deploys; status <version> shows one", async () => {
    handler = (_req, url) =>
      url.pathname.endsWith("/deploys")
        ? json({ deploys: [
            { version: "v2", timestamp: "2015.01.02-03.04.06", state: "live", instances: [{ instance: "1", state: "ready" }, { instance: "2", state: "ready" }] },
            { version: "v1", timestamp: "2015.01.02-03.04.05", state: "destroyed", instances: [] },
          ] })
        : json({ deploy: { version: "v2", timestamp: "2015.01.02-03.04.06", state: "failed", reason: "not ready", log_tail: ["x"],
            instances: [{ instance: "1", state: "ready", container: "app-v2-2015.01.02-03.04.06-1" }, { instance: "2", state: "failed", reason: "exited (3)" }] } });
    const list = await ctl(["status", "app"]);
    expect(list.code).toBe(0);
    expect(list.out).toBe(
      "Version   Timestamp             State       Ready   Reason\n" +
        "-------   ---------             -----       -----   ------\n" +
        "v2        2015.01.02-03.04.06   live        2/2     \n" +
        "v1        2015.01.02-03.04.05   destroyed   -       \n",
    );
    const one = await ctl(["status", "app", "v2"]);
    expect(one.out).toBe(
      "Deploy:  app v2 (2015.01.02-03.04.06)\nState:   failed\nReason:  not ready\n\n" +
        "#   State    Container                      Note\n-   -----    ---------                      ----\n1   ready    app-v2-2015.01.02-03.04.06-1   \n2   failed   -                              exited (3)\n" +
        "-- Last log lines of instance 2:\n   x\n",
    );
    expect(JSON.parse((await ctl(["status", "app", "--json"])).out).deploys).toHaveLength(2);
    handler = () => apiError(404, "no such deploy", "Not Found");
    expect((await ctl(["status", "app", "v9"])).out).toStartWith("Status failed :(\n-- Response Status: 404 Not Found\n");
  });

  test("rollback: triggered, --wait follows, failure lines", async () => {
    handler = (req) =>
      req.method === "POST"
        ? new Response(null, { status: 201, headers: { Location: "/v1/services/app/deploys/v1?timestamp=2015.01.02-03.04.07" } })
        : json({ deploy: { version: "v1", timestamp: "2015.01.02-03.04.07", state: "live", instances: [{ instance: "1", state: "ready" }] } });
    expect(await ctl(["rollback", "app"])).toEqual({ code: 0, out: "Rollback triggered! (to app v1)\n", err: "" });
    const w = await ctl(["rollback", "app", "--wait"]);
    expect(w.code).toBe(0);
    expect(w.out).toEndWith("Deploy live: app v1 (2015.01.02-03.04.07), 1/1 instance ready\n");
    handler = () => apiError(409, "no previous version to roll back to", "Conflict");
    const f = await ctl(["rollback", "app"]);
    expect(f.code).toBe(1);
    expect(f.out).toStartWith("Rollback failed :(\n-- Response Status: 409 Conflict\n");
  });
});

describe("usage and connection errors", () => {
  test("the original's Error lines on stderr, usage after, exit 2", async () => {
    for (const [args, line] of [[["deploy"], "Error: Service required"], [["deploy", "app"], "Error: Version required"], [["run", "app", "v1"], "Error: Command required"]] as const) {
      const r = await ctl([...args]);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err.split("\n")[0]).toBe(line);
      expect(r.err).toContain("Usage: deployctl");
    }
    expect(requests).toHaveLength(0);
  });

  test("help and version exit 0", async () => {
    const h = await ctl(["--help"]);
    expect(h.code).toBe(0);
    expect(h.out).toContain("Usage: deployctl [global options] <command>");
    expect((await ctl(["-v"])).out).toMatch(/^deployctl version \d+\.\d+\.\d+\n$/);
  });

  test("bad URL, refused connection, unknown host: one line, exit 1", async () => {
    for (const url of ["localhost:3000", "http://127.0.0.1:1", "http://nosuch.invalid:3000"]) {
      const r = await ctl(["list", "app", "--url", url]);
      expect(r.code).toBe(1);
      expect(r.out).toBe("");
      expect(r.err.split("\n")).toEqual([expect.stringMatching(/^Error: /), ""]);
    }
  });

  test("a missing --ca-cert file is one line", async () => {
    const r = await ctl(["list", "app", "--ca-cert", "/nonexistent/ca.pem"]);
    expect(r).toEqual({ code: 1, out: "", err: "Error: cannot read the CA certificate /nonexistent/ca.pem (--ca-cert): no such file\n" });
  });
});

describe("StreamWriter", () => {
  function fakeStream() {
    const e = new EventEmitter() as EventEmitter & { write(c: unknown): boolean; isTTY?: boolean };
    e.write = () => false;
    return e;
  }

  test("waits for drain", async () => {
    const s = fakeStream();
    const w = new StreamWriter(s);
    const p = writeChunk(w, new Uint8Array([1]));
    setTimeout(() => s.emit("drain"), 5);
    await p;
  });

  test("an EPIPE 'error' wakes a writer waiting for drain, and later writes throw", async () => {
    const s = fakeStream();
    const w = new StreamWriter(s);
    const p = writeChunk(w, new Uint8Array([1]));
    setTimeout(() => s.emit("error", Object.assign(new Error("EPIPE"), { code: "EPIPE" })), 5);
    expect(await p.catch((e) => e.code)).toBe("EPIPE");
    expect(() => w.write("x")).toThrow("EPIPE");
    expect(w.isTTY).toBe(false);
  });
});
