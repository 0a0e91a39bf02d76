import { expect, test } from "bun:test";
import {
  basicAuthHeader, buildDeployRequest, buildDeployStatusRequest, buildDeploysRequest, buildDestroyRequest,
  buildLocationRequest, buildRollbackRequest, buildTaskRequest, buildUnitsRequest, joinApiUrl,
} from "../../../src/client/requests";

const base = new URL("http://127.0.0.1:3000");
const creds = { username: "deployster", password: "s3cret" };
const auth = `Basic ${btoa("deployster:s3cret")}`;

test("deploy: POST with the v1 body {deploy: {...}}; timestamp only when given", () => {
  const r = buildDeployRequest(base, creds, "app", "abc123f", { destroyPrevious: true, instanceCount: 0 });
  expect(r.method).toBe("POST");
  expect(r.url).toBe("http://127.0.0.1:3000/v1/services/app/deploys");
  expect(r.headers.Authorization).toBe(auth);
  expect(r.headers["Content-Type"]).toBe("application/json");
  expect(JSON.parse(r.body!)).toEqual({ deploy: { version: "abc123f", destroy_previous: true, instance_count: 0 } });
  const t = buildDeployRequest(base, creds, "app", "v2", { destroyPrevious: false, instanceCount: 4, timestamp: "2015.01.02-03.04.05" });
  expect(JSON.parse(t.body!)).toEqual({ deploy: { version: "v2", destroy_previous: false, instance_count: 4, timestamp: "2015.01.02-03.04.05" } });
});

test("task: POST with the command string", () => {
  const r = buildTaskRequest(base, creds, "app", "v1", "bundle exec rake");
  expect(r.url).toBe("http://127.0.0.1:3000/v1/services/app/tasks");
  expect(JSON.parse(r.body!)).toEqual({ task: { version: "v1", command: "bundle exec rake" } });
});

test("destroy, units, deploys, status, rollback", () => {
  expect(buildDestroyRequest(base, creds, "app", "v1")).toMatchObject({ method: "DELETE", url: "http://127.0.0.1:3000/v1/services/app/deploys/v1" });
  expect(buildDestroyRequest(base, creds, "app", "v1", "2015.01.02-03.04.05").url).toBe(
    "http://127.0.0.1:3000/v1/services/app/deploys/v1?timestamp=2015.01.02-03.04.05",
  );
  expect(buildDestroyRequest(base, creds, "app", "v1").body).toBeUndefined();
  expect(buildUnitsRequest(base, creds, "app")).toMatchObject({ method: "GET", url: "http://127.0.0.1:3000/v1/services/app/units" });
  expect(buildDeploysRequest(base, creds, "app").url).toBe("http://127.0.0.1:3000/v1/services/app/deploys");
  expect(buildDeployStatusRequest(base, creds, "app", "v2", "2015.01.02-03.04.05").url).toBe(
    "http://127.0.0.1:3000/v1/services/app/deploys/v2?timestamp=2015.01.02-03.04.05",
  );
  expect(buildRollbackRequest(base, creds, "app")).toMatchObject({ method: "POST", url: "http://127.0.0.1:3000/v1/services/app/rollback" });
});

test("path segments are escaped", () => {
  expect(buildUnitsRequest(base, creds, "a/b?c").url).toBe("http://127.0.0.1:3000/v1/services/a%2Fb%3Fc/units");
  expect(buildDestroyRequest(base, creds, "app", "1.0+build/../x#y").url).toBe(
    "http://127.0.0.1:3000/v1/services/app/deploys/1.0%2Bbuild%2F..%2Fx%23y",
  );
  expect(() => buildUnitsRequest(base, creds, "..")).toThrow('invalid service name ".."');
  expect(() => buildDestroyRequest(base, creds, "app", ".")).toThrow('invalid version "."');
});

test("a base URL with a path prefix or a trailing slash", () => {
  expect(joinApiUrl("https://h/deployster/", "/v1/version")).toBe("https://h/deployster/v1/version");
  expect(joinApiUrl("http://h:3000/", "/v1/version")).toBe("http://h:3000/v1/version");
  expect(joinApiUrl("http://h:3000", "/v1/x", { a: "1", b: undefined })).toBe("http://h:3000/v1/x?a=1");
});

test("basic auth is UTF-8 base64 of user:password, empty password included", () => {
  expect(basicAuthHeader({ username: "deployster", password: "" })).toBe(`Basic ${btoa("deployster:")}`);
  expect(basicAuthHeader({ username: "ü", password: "p:w" })).toBe(`Basic ${Buffer.from("ü:p:w").toString("base64")}`);
});

test("Location: relative or same-origin only (credentials never go elsewhere)", () => {
  expect(buildLocationRequest(base, creds, "/v1/services/app/deploys/v2?timestamp=2015.01.02-03.04.05")?.url).toBe(
    "http://127.0.0.1:3000/v1/services/app/deploys/v2?timestamp=2015.01.02-03.04.05",
  );
  expect(buildLocationRequest(base, creds, "http://127.0.0.1:3000/v1/x")?.headers.Authorization).toBe(auth);
  expect(buildLocationRequest(base, creds, "http://evil.example/v1/x")).toBeUndefined();
  expect(buildLocationRequest(base, creds, "//evil.example/v1/x")).toBeUndefined();
  const prefixed = new URL("https://h.example/deployster/");
  expect(buildLocationRequest(prefixed, creds, "/v1/services/app/deploys/v2")?.url).toBe("https://h.example/deployster/v1/services/app/deploys/v2");
  expect(buildLocationRequest(prefixed, creds, "/deployster/v1/x")?.url).toBe("https://h.example/deployster/v1/x");
  expect(buildLocationRequest(base, creds, "https://127.0.0.1:3000/v1/x")).toBeUndefined();
});
