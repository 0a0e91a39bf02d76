import { expect, test } from "bun:test";
import { BARE_SECONDS, parseDurationParts } from "../../../src/duration";

test("unit parts add up; the whole text must be parts", () => {
  expect(parseDurationParts("1h30m")).toBe(5_400_000);
  expect(parseDurationParts("1m0.5s")).toBe(60_500);
  expect(parseDurationParts("250ms")).toBe(250);
  for (const bad of ["", "5", "5 m", "-5s", "5x", "m", "1.5.5s", "5s "]) expect(parseDurationParts(bad)).toBeUndefined();
});

test("Go's ns/us/µs only when asked for; results are not rounded", () => {
  expect(parseDurationParts("500us")).toBeUndefined();
  expect(parseDurationParts("500us", "go")).toBe(0.5);
  expect(parseDurationParts("1500ns", "go")).toBeCloseTo(0.0015);
  expect(parseDurationParts("2µs", "go")).toBe(0.002);
});

test("bare seconds pattern", () => {
  expect(BARE_SECONDS.test("90")).toBe(true);
  expect(BARE_SECONDS.test("1.5")).toBe(true);
  expect(BARE_SECONDS.test("-1")).toBe(false);
  expect(BARE_SECONDS.test("1s")).toBe(false);
});
