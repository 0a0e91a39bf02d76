import { describe, expect, test } from "bun:test";
import { HttpError } from "../../../src/server/http";
import { formatTimestamp, isValidTimestamp } from "../../../src/api/v1";
import {
  isValidName,
  parseDeployBody,
  parseTaskBody,
} from "../../../src/server/validate";

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    return (err as HttpError).message;
  }
  throw new Error("expected a 400");
}

describe("names and versions", () => {
  test("the pattern", () => {
    for (const ok of ["app", "a", "App_1.2-3", "0fbb804", "x".repeat(128)]) expect(isValidName(ok)).toBe(true);
    for (const bad of ["", "-app", ".app", "_a", "a/b", "a b", "a:b", "x".repeat(129), "ü", "a\n", "../x", "a;rm"]) {
      expect(isValidName(bad)).toBe(false);
    }
    expect(isValidName(12 as unknown)).toBe(false);
  });
});

describe("timestamps", () => {
  test("YYYY.MM.DD-hh.mm.ss, a real date", () => {
    expect(isValidTimestamp("2006.01.02-15.04.05")).toBe(true);
    expect(isValidTimestamp("2024.02.29-23.59.59")).toBe(true);
    for (const bad of ["2006.01.02", "2006-01-02-15.04.05", "2006.13.02-15.04.05", "2023.02.29-00.00.00", "2006.01.02-24.00.00", "2006.01.02-15.04.05;x", " 2006.01.02-15.04.05"]) {
      expect(isValidTimestamp(bad)).toBe(false);
    }
  });
  test("now, formatted in UTC", () => {
    expect(formatTimestamp(new Date(Date.UTC(2015, 2, 2, 0, 21, 42)))).toBe("2015.03.02-00.21.42");
    expect(isValidTimestamp(formatTimestamp())).toBe(true);
  });
});

describe("deploy bodies", () => {
  test("the full body", () => {
    expect(parseDeployBody({ deploy: { version: "abc123f", destroy_previous: true, timestamp: "2006.01.02-15.04.05", instance_count: 4 } })).toEqual({
      version: "abc123f",
      destroyPrevious: true,
      timestamp: "2006.01.02-15.04.05",
      instanceCount: 4,
    });
  });
  test("defaults (null counts as absent, like Go)", () => {
    expect(parseDeployBody({ deploy: { version: "v1" } })).toEqual({ version: "v1", destroyPrevious: false, timestamp: undefined, instanceCount: 0 });
    expect(parseDeployBody({ deploy: { version: "v1", destroy_previous: null, timestamp: null, instance_count: null } }).instanceCount).toBe(0);
  });
  test("{} and other shapes → 400 with a reason", () => {
    expect(reason(() => parseDeployBody({}))).toContain('"deploy" object');
    expect(reason(() => parseDeployBody(undefined))).toContain('"deploy" object');
    expect(reason(() => parseDeployBody([]))).toContain('"deploy" object');
    expect(reason(() => parseDeployBody({ deploy: "v1" }))).toContain('"deploy" object');
    expect(reason(() => parseDeployBody({ deploy: {} }))).toBe('"deploy.version" is required.');
    expect(reason(() => parseDeployBody({ deploy: { version: "" } }))).toBe('"deploy.version" is required.');
    expect(reason(() => parseDeployBody({ deploy: { version: 3 } }))).toContain("must be a string");
    expect(reason(() => parseDeployBody({ deploy: { version: "a b" } }))).toContain("Invalid deploy.version");
    expect(reason(() => parseDeployBody({ deploy: { version: "v1", destroy_previous: "yes" } }))).toContain("true or false");
    expect(reason(() => parseDeployBody({ deploy: { version: "v1", timestamp: "now" } }))).toContain("YYYY.MM.DD-hh.mm.ss");
    expect(reason(() => parseDeployBody({ deploy: { version: "v1", timestamp: 5 } }))).toContain("YYYY.MM.DD-hh.mm.ss");
    for (const n of [-1, 1.5, "2", 101, 1e9]) expect(reason(() => parseDeployBody({ deploy: { version: "v1", instance_count: n } }))).toContain("integer from 0 to 100");
  });
  test("echoed values are escaped and shortened", () => {
    const r = reason(() => parseDeployBody({ deploy: { version: `a"\n${"x".repeat(200)}` } }));
    expect(r).not.toContain("\n");
    expect(r.length).toBeLessThan(250);
  });
});

describe("task bodies", () => {
  test("string and argv commands", () => {
    expect(parseTaskBody({ task: { version: "v1", command: "bundle check" } })).toEqual({ version: "v1", command: "bundle check" });
    expect(parseTaskBody({ task: { version: "v1", command: ["echo", "a b"] } })).toEqual({ version: "v1", command: ["echo", "a b"] });
  });
  test("missing and malformed → 400", () => {
    expect(reason(() => parseTaskBody({}))).toContain('"task" object');
    expect(reason(() => parseTaskBody({ task: { command: "x" } }))).toBe('"task.version" is required.');
    expect(reason(() => parseTaskBody({ task: { version: "v1" } }))).toBe('"task.command" is required.');
    expect(reason(() => parseTaskBody({ task: { version: "v1", command: [] } }))).toBe('"task.command" is required.');
    expect(reason(() => parseTaskBody({ task: { version: "v1", command: [1] } }))).toContain("array of strings");
    expect(reason(() => parseTaskBody({ task: { version: "v1", command: { a: 1 } } }))).toContain("array of strings");
    expect(reason(() => parseTaskBody({ task: { version: "../x", command: "x" } }))).toContain("Invalid task.version");
  });
});
