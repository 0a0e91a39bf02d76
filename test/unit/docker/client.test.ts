import { describe, expect, test } from "bun:test";
import { compareApiVersions, negotiateApiVersion, MAX_API_VERSION } from "../../../src/docker/api-version";
import { encodeRegistryAuth, findRegistryAuth } from "../../../src/docker/auth";
import { buildQuery } from "../../../src/docker/client";
import { describeConnectError, DockerApiError, toApiError } from "../../../src/docker/errors";
import { parseDockerHost } from "../../../src/docker/host";
import { normalizeImageReference, parseImageReference } from "../../../src/docker/reference";
import { buildRunCreateBody } from "../../../src/docker/run";

describe("API version negotiation", () => {
  test("uses the engine's version when older than ours", () => {
    expect(negotiateApiVersion("1.41")).toBe("1.41");
  });
  test("caps at the client's maximum when the engine is newer", () => {
    expect(negotiateApiVersion("1.99")).toBe(MAX_API_VERSION);
    expect(negotiateApiVersion("2.0")).toBe(MAX_API_VERSION);
  });
  test("compares numerically, not as strings", () => {
    expect(compareApiVersions("1.9", "1.41")).toBeLessThan(0);
    expect(negotiateApiVersion("1.40", "1.100")).toBe("1.40");
  });
  test("refuses engines older than the minimum and garbage", () => {
    expect(() => negotiateApiVersion("1.12")).toThrow(/too old/);
    expect(() => negotiateApiVersion("abc")).toThrow(/not an API version/);
  });
  test("no header: speak our maximum", () => {
    expect(negotiateApiVersion(null)).toBe(MAX_API_VERSION);
  });
});

describe("DOCKER_HOST parsing", () => {
  test("default is the local unix socket", () => {
    expect(parseDockerHost({})).toEqual({ kind: "unix", socketPath: "/var/run/docker.sock", target: "unix:///var/run/docker.sock" });
  });
  test("unix:// with a custom path", () => {
    const h = parseDockerHost({ DOCKER_HOST: "unix:///tmp/d.sock" });
    expect(h).toMatchObject({ kind: "unix", socketPath: "/tmp/d.sock" });
  });
  test("tcp:// without TLS defaults to port 2375", () => {
    const h = parseDockerHost({ DOCKER_HOST: "tcp://127.0.0.1" });
    expect(h).toMatchObject({ kind: "tcp", baseUrl: "http://127.0.0.1:2375", port: 2375, tls: undefined });
  });
  test("tcp:// with DOCKER_TLS_VERIFY reads certs from DOCKER_CERT_PATH and uses https", () => {
    const read = (p: string) => `contents of ${p}`;
    const h = parseDockerHost({ DOCKER_HOST: "tcp://10.0.0.1:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/certs" }, read);
    expect(h).toMatchObject({
      kind: "tcp",
      baseUrl: "https://10.0.0.1:2376",
      tls: { ca: "contents of /certs/ca.pem", cert: "contents of /certs/cert.pem", key: "contents of /certs/key.pem", verify: true },
    });
  });
  test("any non-empty DOCKER_TLS_VERIFY verifies, as in the docker CLI (\"0\" and \"false\" too)", () => {
    for (const value of ["0", "false", "no", "1", "true"]) {
      const h = parseDockerHost({ DOCKER_HOST: "tcp://h:1", DOCKER_TLS_VERIFY: value, DOCKER_CERT_PATH: "/c" }, () => "x");
      expect(h).toMatchObject({ baseUrl: "https://h:1", tls: { verify: true } });
    }
    const empty = parseDockerHost({ DOCKER_HOST: "tcp://h:1", DOCKER_TLS_VERIFY: "" });
    expect(empty).toMatchObject({ baseUrl: "http://h:1", tls: undefined });
  });
  test("DOCKER_CERT_PATH alone turns TLS on without verification", () => {
    const h = parseDockerHost({ DOCKER_HOST: "tcp://h:1", DOCKER_CERT_PATH: "/c" }, () => "x");
    expect(h).toMatchObject({ baseUrl: "https://h:1", tls: { verify: false } });
  });
  test("other schemes and relative socket paths are errors", () => {
    expect(() => parseDockerHost({ DOCKER_HOST: "ssh://host" })).toThrow(/unsupported scheme/);
    expect(() => parseDockerHost({ DOCKER_HOST: "unix://rel.sock" })).toThrow(/absolute/);
  });
});

describe("registry auth", () => {
  const config = {
    auths: {
      "127.0.0.1:5000": { auth: Buffer.from("alice:s3:cret").toString("base64") },
      "https://index.docker.io/v1/": { auth: Buffer.from("bob:pw").toString("base64") },
      "https://reg.example.com/v2/": { username: "carol", password: "pw2" },
      "tok.example.com": { identitytoken: "tkn" },
    },
  };
  test("finds a host:port entry and splits on the first colon", () => {
    expect(findRegistryAuth(config, "127.0.0.1:5000")).toEqual({ username: "alice", password: "s3:cret", serveraddress: "127.0.0.1:5000" });
  });
  test("Docker Hub when no registry host", () => {
    expect(findRegistryAuth(config, undefined)).toMatchObject({ username: "bob", password: "pw" });
  });
  test("scheme and path in the key are ignored; explicit username/password and identity tokens", () => {
    expect(findRegistryAuth(config, "reg.example.com")).toMatchObject({ username: "carol", password: "pw2" });
    expect(findRegistryAuth(config, "tok.example.com")).toEqual({ identitytoken: "tkn", serveraddress: "tok.example.com" });
  });
  test("no entry, no config", () => {
    expect(findRegistryAuth(config, "other:1")).toBeUndefined();
    expect(findRegistryAuth(undefined, "x")).toBeUndefined();
  });
  test("header is URL-safe base64 JSON with padding (Go's base64.URLEncoding)", () => {
    const h = encodeRegistryAuth({ username: "a", password: "b?>", serveraddress: "r:1" });
    expect(h).not.toMatch(/[+/]/);
    expect(h.length % 4).toBe(0);
    expect(encodeRegistryAuth({ username: "ab", serveraddress: "x" })).toMatch(/=$/);
    expect(JSON.parse(Buffer.from(h, "base64url").toString())).toEqual({ username: "a", password: "b?>", serveraddress: "r:1" });
    expect(Buffer.from(encodeRegistryAuth(undefined), "base64url").toString()).toBe("{}");
  });
});

describe("image references", () => {
  test("registry host detection, tags and digests", () => {
    expect(parseImageReference("busybox")).toEqual({ registry: undefined, repository: "busybox", tag: undefined, digest: undefined });
    expect(parseImageReference("127.0.0.1:5000/app:v1")).toMatchObject({ registry: "127.0.0.1:5000", repository: "127.0.0.1:5000/app", tag: "v1" });
    expect(parseImageReference("localhost/x")).toMatchObject({ registry: "localhost" });
    expect(parseImageReference("deployster/app:v2")).toMatchObject({ registry: undefined, repository: "deployster/app", tag: "v2" });
    expect(parseImageReference("r.io/a@sha256:abc")).toMatchObject({ repository: "r.io/a", digest: "sha256:abc", tag: undefined });
    expect(normalizeImageReference("a/b")).toBe("a/b:latest");
    expect(normalizeImageReference("h:5000/a")).toBe("h:5000/a:latest");
  });
});

describe("errors", () => {
  test("the engine's JSON message becomes the error message", async () => {
    const res = new Response(JSON.stringify({ message: "No such container: x" }), { status: 404 });
    const err = await toApiError(res, "GET", "/containers/x/json");
    expect(err).toBeInstanceOf(DockerApiError);
    expect(err.status).toBe(404);
    expect(err.engineMessage).toBe("No such container: x");
    expect(err.message).toBe("Docker engine: GET /containers/x/json failed (404): No such container: x");
  });
  test("a non-JSON body is kept as text", async () => {
    const err = await toApiError(new Response("boom\n", { status: 500 }), "POST", "/x");
    expect(err.engineMessage).toBe("boom");
  });
  test("connection failures get a short reason", () => {
    expect(describeConnectError(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe("no such socket");
    expect(describeConnectError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBe("connection refused");
    expect(describeConnectError(new Error("totally unrelated"))).toBeUndefined();
  });
});

describe("request building", () => {
  test("filters are JSON, booleans 1/0, undefined dropped", () => {
    expect(buildQuery({ all: true, filters: { label: ["a=b"] }, x: undefined, n: 3 })).toBe(
      "?all=1&filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D&n=3",
    );
    expect(buildQuery(undefined)).toBe("");
  });
  test("a one-shot run's create body: stdin wiring, managed label, env", () => {
    const b = buildRunCreateBody({ image: "i", args: ["a"], env: { K: "V" }, stdin: "x", labels: { mine: "1" } });
    expect(b).toMatchObject({
      Image: "i",
      Cmd: ["a"],
      Env: ["K=V"],
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      Tty: false,
      Labels: { mine: "1", "deployster.managed": "true", "deployster.component": "run" },
    });
    expect(buildRunCreateBody({ image: "i" })).toMatchObject({ OpenStdin: false, AttachStdin: false });
  });
});
