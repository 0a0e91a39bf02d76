import { describe, expect, test } from "bun:test";
import { isAuthorized, parseBasicAuth, safeEqual, unauthorizedResponse } from "../../../src/server/auth";
import { formatGoDuration, parseDuration } from "../../../src/server/duration";
import { errorResponse } from "../../../src/server/http";
import { matchRoute } from "../../../src/server/routes";
import { exitTrailer, taskArgs, timeoutTrailer } from "../../../src/server/task-common";
import { currentState } from "../../../src/server/handlers/units";

describe("Go durations", () => {
  test("parses flag values", () => {
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("10m0s")).toBe(600_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("0")).toBe(0);
    for (const bad of ["", "5", "m", "5 m", "-5s", "5x", "abc"]) expect(parseDuration(bad)).toBeUndefined();
  });
  test("formats like Go's Duration.String()", () => {
    expect(formatGoDuration(600_000)).toBe("10m0s");
    expect(formatGoDuration(2000)).toBe("2s");
    expect(formatGoDuration(1500)).toBe("1.5s");
    expect(formatGoDuration(90_000)).toBe("1m30s");
    expect(formatGoDuration(3_600_000)).toBe("1h0m0s");
    expect(formatGoDuration(500)).toBe("500ms");
    expect(formatGoDuration(0)).toBe("0s");
  });
});

describe("basic auth", () => {
  const creds = { username: "deployster", password: "s3cret:with:colons" };
  const header = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
  test("accepts the right pair only", () => {
    expect(isAuthorized(header("deployster", "s3cret:with:colons"), creds)).toBe(true);
    expect(isAuthorized(header("deployster", "wrong"), creds)).toBe(false);
    expect(isAuthorized(header("other", "s3cret:with:colons"), creds)).toBe(false);
    expect(isAuthorized(null, creds)).toBe(false);
    expect(isAuthorized("Bearer abc", creds)).toBe(false);
    expect(isAuthorized("Basic !!!", creds)).toBe(false);
    expect(isAuthorized(`Basic ${Buffer.from("nocolon").toString("base64")}`, creds)).toBe(false);
  });
  test("empty credentials never match a configured pair", () => {
    expect(isAuthorized(header("", ""), creds)).toBe(false);
  });
  test("parses user and password at the first colon", () => {
    expect(parseBasicAuth(header("u", "a:b"))).toEqual({ username: "u", password: "a:b" });
    expect(parseBasicAuth(`basic ${Buffer.from("x:y").toString("base64")}`)).toEqual({ username: "x", password: "y" });
  });
  test("safeEqual compares whole strings of any length", () => {
    expect(safeEqual("abc", "abc")).toBe(true);
    expect(safeEqual("abc", "abcd")).toBe(false);
    expect(safeEqual("", "")).toBe(true);
  });
  test("401 carries the realm and the JSON error shape", async () => {
    const res = unauthorizedResponse();
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Basic realm="Deployster"');
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(["description", "error"]);
  });
});

describe("error responses", () => {
  test("{description, error} with the status text", async () => {
    const res = errorResponse(409, "busy");
    expect(await res.json()).toEqual({ description: "busy", error: "Conflict" });
    expect(res.headers.get("content-type")).toBe("application/json");
  });
});

describe("routes", () => {
  test("every endpoint", () => {
    expect(matchRoute("GET", "/v1/version")).toEqual({ kind: "found", name: "version", params: {} });
    expect(matchRoute("POST", "/v1/services/app/deploys")).toMatchObject({ name: "createDeploy", params: { name: "app" } });
    expect(matchRoute("GET", "/v1/services/app/deploys")).toMatchObject({ name: "listDeploys" });
    expect(matchRoute("GET", "/v1/services/app/deploys/v1")).toMatchObject({ name: "showDeploy", params: { name: "app", version: "v1" } });
    expect(matchRoute("DELETE", "/v1/services/app/deploys/v1")).toMatchObject({ name: "destroyDeploy" });
    expect(matchRoute("GET", "/v1/services/app/units")).toMatchObject({ name: "listUnits" });
    expect(matchRoute("POST", "/v1/services/app/tasks")).toMatchObject({ name: "runTask" });
    expect(matchRoute("POST", "/v1/services/app/rollback")).toMatchObject({ name: "rollback" });
  });
  test("404 and 405", () => {
    expect(matchRoute("GET", "/debug/pprof/")).toEqual({ kind: "notFound" });
    expect(matchRoute("GET", "/v1/services/app")).toEqual({ kind: "notFound" });
    expect(matchRoute("GET", "/v1/version/")).toEqual({ kind: "notFound" });
    expect(matchRoute("PUT", "/v1/services/app/deploys")).toEqual({ kind: "methodNotAllowed", allow: ["POST", "GET"] });
    expect(matchRoute("POST", "/v1/version")).toEqual({ kind: "methodNotAllowed", allow: ["GET"] });
  });
  test("segments are decoded; a slash inside a name cannot make another path", () => {
    expect(matchRoute("GET", "/v1/services/a%2Fb/units")).toMatchObject({ name: "listUnits", params: { name: "a/b" } });
    expect(matchRoute("GET", "/v1/services/%E0%A4%A/units")).toEqual({ kind: "badPath" });
  });
});

describe("tasks", () => {
  test("the ENTRYPOINT rule", () => {
    expect(taskArgs("bundle check", null)).toEqual(["/bin/sh", "-c", "bundle check"]);
    expect(taskArgs("bundle check", [])).toEqual(["/bin/sh", "-c", "bundle check"]);
    expect(taskArgs("bundle check", ["/bin/task.sh"])).toEqual(["bundle check"]);
    expect(taskArgs(["echo", "a b"], null)).toEqual(["echo", "a b"]);
    expect(taskArgs(["a b"], ["/entry"])).toEqual(["a b"]);
  });
  test("trailers, byte for byte", () => {
    expect(exitTrailer(0)).toBe("\nExited (0) \n");
    expect(exitTrailer(127, "Something went wrong")).toBe("\nExited (127) Something went wrong\n");
    expect(timeoutTrailer(600_000)).toBe("\nExited (124) The task timed out after 10m0s. Forcefully removing container.\n");
    expect(timeoutTrailer(2000)).toBe("\nExited (124) The task timed out after 2s. Forcefully removing container.\n");
  });
});

describe("unit states (Fleet vocabulary)", () => {
  test("running+ready → launched, starting → loaded, exited → inactive", () => {
    expect(currentState({ state: "running", health: undefined }, true)).toBe("launched");
    expect(currentState({ state: "running", health: "starting" }, false)).toBe("loaded");
    expect(currentState({ state: "created", health: undefined }, false)).toBe("loaded");
    expect(currentState({ state: "restarting", health: undefined }, false)).toBe("loaded");
    expect(currentState({ state: "exited", health: undefined }, false)).toBe("inactive");
    expect(currentState({ state: "dead", health: undefined }, false)).toBe("inactive");
  });
});
