/**
 * src/server/openapi.json against a real `deployster serve` (compiled binary, real engine):
 * every route is called, and each real answer (status, content type, headers it documents,
 * body) is validated against what the document says for that operation and status, with
 * Ajv's 2020-12 dialect (the dialect of OpenAPI 3.1 schemas). The test ends by checking that
 * every documented operation was exercised and every route of the server is documented.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROUTES } from "../../../src/server/routes";
import { ROOT, settled, startServe, TestScope, type Serve } from "./harness";

const DOC_TEXT = readFileSync(join(ROOT, "src/server/openapi.json"), "utf8");
const doc = JSON.parse(DOC_TEXT);
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(doc, "openapi");

const scope = new TestScope("openapi");
const SVC = "srvoapi";
let s: Serve;

/** `${METHOD} ${template} ${status}` of every validated answer. */
const seen = new Set<string>();

beforeAll(async () => {
  await scope.tag(SVC, ["v1", "v2"]);
  s = await startServe({ scope });
});

afterAll(async () => {
  const code = await s?.stop();
  expect(code).toBe(0);
  expect(await scope.cleanup()).toEqual([]);
});

const pointer = (...segments: string[]) => segments.map((x) => encodeURIComponent(x.replace(/~/g, "~0").replace(/\//g, "~1"))).join("/");

/** Follows a `$ref` to components/responses. */
function resolveResponse(r: any): { node: any; at: string[] } | undefined {
  if (r?.$ref) {
    const name = String(r.$ref).replace("#/components/responses/", "");
    return { node: doc.components.responses[name], at: ["components", "responses", name] };
  }
  return undefined;
}

/**
 * Validates one real answer against the operation `method template` (or, for answers no
 * path can document such as 404/405, against a components/responses entry).
 */
async function check(res: Response, method: string, template: string | { component: string }): Promise<string> {
  const status = String(res.status);
  let response: any;
  let at: string[];
  if (typeof template === "string") {
    const op = doc.paths[template]?.[method.toLowerCase()];
    expect(op, `${method} ${template} is documented`).toBeDefined();
    const declared = op.responses[status];
    expect(declared, `${method} ${template} documents status ${status}`).toBeDefined();
    const resolved = resolveResponse(declared);
    response = resolved?.node ?? declared;
    at = resolved?.at ?? ["paths", template, method.toLowerCase(), "responses", status];
    seen.add(`${method} ${template} ${status}`);
  } else {
    response = doc.components.responses[template.component];
    at = ["components", "responses", template.component];
  }
  for (const h of Object.keys(response.headers ?? {})) {
    expect(res.headers.get(h), `${method} ${JSON.stringify(template)} ${status}: header ${h}`).not.toBeNull();
  }
  const text = await res.text();
  const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
  if (!response.content) {
    expect(text, `${status} has no documented body`).toBe("");
    return text;
  }
  expect(Object.keys(response.content), `${method} ${JSON.stringify(template)} ${status}: content type`).toContain(type);
  const validate = ajv.compile({ $ref: `openapi#/${pointer(...at, "content", type, "schema")}` });
  const value = type === "application/json" ? JSON.parse(text) : text;
  const ok = validate(value);
  if (!ok) throw new Error(`${method} ${JSON.stringify(template)} ${status} does not match the document: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 2000)}`);
  return text;
}

const svc = (rest: string) => `/v1/services/${SVC}${rest}`;

describe("the OpenAPI document against the real server", () => {
  test("GET /v1/openapi.json serves the document byte for byte, authenticated", async () => {
    const res = await s.call("GET", "/v1/openapi.json");
    expect(await check(res, "GET", "/v1/openapi.json")).toBe(DOC_TEXT);
    const anon = await s.call("GET", "/v1/openapi.json", undefined, { auth: null });
    expect(anon.status).toBe(401);
    await check(anon, "GET", "/v1/openapi.json");
    expect(doc.openapi).toStartWith("3.1.");
  });

  test("version, errors without a path (404, 405), bad credentials", async () => {
    await check(await s.call("GET", "/v1/version"), "GET", "/v1/version");
    await check(await s.call("GET", "/v1/version", undefined, { auth: null }), "GET", "/v1/version");
    const notFound = await s.call("GET", "/v1/nope");
    expect(notFound.status).toBe(404);
    await check(notFound, "GET", { component: "NotFound" });
    const crossSite = await s.call("GET", "/v1/version", undefined, { headers: { "sec-fetch-site": "cross-site" } });
    expect(crossSite.status).toBe(403);
    await check(crossSite, "GET", "/v1/version");
    const wrong = await s.call("PUT", svc("/units"));
    expect(wrong.status).toBe(405);
    await check(wrong, "PUT", { component: "MethodNotAllowed" });
  });

  test("deploys, units, tasks, rollback, destroy: every route with its success and error answers", async () => {
    await check(await s.call("GET", svc("/units")), "GET", "/v1/services/{name}/units");
    await check(await s.call("GET", svc("/config")), "GET", "/v1/services/{name}/config");
    await check(await s.call("GET", svc("/config?version=v1")), "GET", "/v1/services/{name}/config");
    await check(await s.call("GET", "/v1/services/-bad/config"), "GET", "/v1/services/{name}/config");
    await check(await s.call("GET", svc("/deploys")), "GET", "/v1/services/{name}/deploys");
    await check(await s.call("GET", svc("/deploys/v1")), "GET", "/v1/services/{name}/deploys/{version}");
    await check(await s.call("POST", svc("/deploys"), {}), "POST", "/v1/services/{name}/deploys");
    await check(await s.call("POST", "/v1/services/-bad/deploys", { deploy: { version: "v1" } }), "POST", "/v1/services/{name}/deploys");
    await check(await s.call("POST", svc("/deploys"), { deploy: { version: "v1", pad: "x".repeat(70_000) } }), "POST", "/v1/services/{name}/deploys");
    await check(await s.call("POST", svc("/rollback")), "POST", "/v1/services/{name}/rollback"); // nothing runs: 409
    const notJson = await s.call("POST", svc("/deploys"), '{"deploy": {"version": "v1"}}', { headers: { "content-type": "text/plain" } });
    expect(notJson.status).toBe(415);
    await check(notJson, "POST", "/v1/services/{name}/deploys");

    const first = await s.call("POST", svc("/deploys"), { deploy: { version: "v1", instance_count: 1 } });
    expect(first.status).toBe(201);
    await check(first, "POST", "/v1/services/{name}/deploys");
    const busy = await s.call("POST", svc("/deploys"), { deploy: { version: "v2" } });
    expect(busy.status).toBe(409);
    await check(busy, "POST", "/v1/services/{name}/deploys");
    expect((await settled(s, SVC, "v1")).state).toBe("live");

    await check(await s.call("GET", svc("/deploys")), "GET", "/v1/services/{name}/deploys");
    const one = await s.call("GET", svc("/deploys/v1"));
    expect(one.status).toBe(200);
    await check(one, "GET", "/v1/services/{name}/deploys/{version}");
    await check(await s.call("GET", svc("/deploys/v1?timestamp=yesterday")), "GET", "/v1/services/{name}/deploys/{version}");
    const units = await s.call("GET", svc("/units"));
    expect(JSON.parse(await units.clone().text()).units).toHaveLength(1);
    await check(units, "GET", "/v1/services/{name}/units");

    const task = await s.call("POST", svc("/tasks"), { task: { version: "v1", command: "echo hello" } });
    expect(task.status).toBe(200);
    expect(await check(task, "POST", "/v1/services/{name}/tasks")).toBe("hello\n\nExited (0) \n");
    await check(await s.call("POST", svc("/tasks"), { task: { version: "v1" } }), "POST", "/v1/services/{name}/tasks");
    await check(await s.call("POST", svc("/tasks"), { task: { version: "v1", command: "x".repeat(70_000) } }), "POST", "/v1/services/{name}/tasks");
    const missing = await s.call("POST", svc("/tasks"), { task: { version: "v404", command: "echo hi" } });
    expect(missing.status).toBe(500);
    await check(missing, "POST", "/v1/services/{name}/tasks");

    const second = await s.call("POST", svc("/deploys"), { deploy: { version: "v2", destroy_previous: true } });
    expect(second.status).toBe(201);
    await check(second, "POST", "/v1/services/{name}/deploys");
    expect((await settled(s, SVC, "v2")).state).toBe("live");
    const back = await s.call("POST", svc("/rollback"));
    expect(back.status).toBe(201);
    await check(back, "POST", "/v1/services/{name}/rollback");
    await check(await s.call("POST", "/v1/services/-bad/rollback"), "POST", "/v1/services/{name}/rollback");
    expect((await settled(s, SVC, "v1")).state).toBe("live");
    await check(await s.call("GET", svc("/deploys")), "GET", "/v1/services/{name}/deploys");

    for (const v of ["v1", "v2"]) {
      const del = await s.call("DELETE", svc(`/deploys/${v}`));
      expect(del.status).toBe(204);
      await check(del, "DELETE", "/v1/services/{name}/deploys/{version}");
    }
    await check(await s.call("DELETE", svc("/deploys/bad%20version")), "DELETE", "/v1/services/{name}/deploys/{version}");
    await check(await s.call("GET", "/v1/services/-bad/units"), "GET", "/v1/services/{name}/units");
  }, 240_000);

  test("the status page, its assets, the overview, recent tasks and the event stream", async () => {
    await check(await s.call("GET", "/"), "GET", "/");
    await check(await s.call("GET", "/ui/app.js"), "GET", "/ui/{asset}");
    await check(await s.call("GET", "/ui/app.css"), "GET", "/ui/{asset}");
    await check(await s.call("GET", "/ui/nope.js"), "GET", "/ui/{asset}");
    const services = await s.call("GET", "/v1/services");
    expect(JSON.parse(await services.clone().text()).services.map((x: any) => x.service)).toContain(SVC);
    await check(services, "GET", "/v1/services");
    const tasks = await s.call("GET", "/v1/tasks");
    expect(JSON.parse(await tasks.clone().text()).tasks.length).toBeGreaterThan(0);
    await check(tasks, "GET", "/v1/tasks");
    await check(await s.call("GET", "/v1/events?service=-bad"), "GET", "/v1/events");
    // The stream stays open: its status, type and first bytes are checked, then it is closed.
    const events = await s.call("GET", "/v1/events");
    expect(events.status).toBe(200);
    expect(Object.keys(doc.paths["/v1/events"].get.responses["200"].content)).toContain(events.headers.get("content-type")!.split(";")[0]);
    const reader = events.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toStartWith("retry: 2000\n");
    await reader.cancel();
    seen.add("GET /v1/events 200");
  });

  test("every documented operation was called, with its success status; every route is documented", () => {
    const operations: string[] = [];
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of ["get", "post", "put", "delete", "patch"]) {
        if (!item[method]) continue;
        operations.push(`${method.toUpperCase()} ${path}`);
        const success = Object.keys(item[method].responses).find((st) => st.startsWith("2"))!;
        expect([...seen], `${method.toUpperCase()} ${path} ${success} was exercised`).toContain(`${method.toUpperCase()} ${path} ${success}`);
      }
    }
    const routes = ROUTES.map((r) => `${r.method} /${r.pattern.map((p) => (p.startsWith(":") ? `{${p.slice(1)}}` : p)).join("/")}`);
    expect(operations.sort()).toEqual([...routes].sort());
  });
});
