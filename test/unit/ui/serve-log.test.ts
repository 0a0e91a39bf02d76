/** The serve log on consola: the text lines as before, JSON lines, levels, no throttling. */
import { describe, expect, test } from "bun:test";
import { createServeLog, formatEntry, parseLogFormat } from "../../../src/commands/serve-log";

const date = new Date("2026-01-02T03:04:05.678Z");

describe("serve log", () => {
  test("text keeps `<time> <level padded to 5> <message>`; json is one object per line", () => {
    expect(formatEntry("text", { date, type: "info", message: "hi" })).toBe("2026-01-02T03:04:05.678Z info  hi\n");
    expect(formatEntry("text", { date, type: "debug", message: "x" })).toBe("2026-01-02T03:04:05.678Z debug x\n");
    expect(JSON.parse(formatEntry("json", { date, type: "warn", message: 'say "no"\nthen' }))).toEqual({ time: "2026-01-02T03:04:05.678Z", level: "warn", msg: 'say "no"\nthen' });
  });

  test("debug only when verbose; repeated lines are all written; the banner goes to print", () => {
    const lines: string[] = [];
    const banner: string[] = [];
    const quiet = createServeLog({ format: "json", verbose: false, write: (l) => lines.push(l), print: (l) => banner.push(l) });
    for (let i = 0; i < 8; i++) quiet.logger.warn("same");
    quiet.logger.debug("hidden");
    quiet.print("listening on x");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(Array(8).fill("same"));
    expect(JSON.parse(banner[0]!)).toMatchObject({ level: "info", msg: "listening on x" });
    const loud: string[] = [];
    createServeLog({ format: "text", verbose: true, write: (l) => loud.push(l) }).logger.debug("shown");
    expect(loud[0]).toEndWith(" debug shown\n");
  });

  test("formats", () => {
    expect(parseLogFormat(undefined)).toBe("text");
    expect(parseLogFormat("JSON")).toBe("json");
    expect(() => parseLogFormat("xml")).toThrow("--log-format: expected text or json (got 'xml')");
  });
});
