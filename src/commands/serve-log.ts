/**
 * The log of `deployster serve`, on consola: levels (debug only with -v) and one reporter
 * per format. `text` keeps the established lines (`<ISO time> <level> <message>`);
 * `json` writes one JSON object per line, `{"time", "level", "msg"}`, for log collectors.
 * Throttling is off: a server must not fold or delay repeated lines.
 */
import { createConsola, type ConsolaReporter, type LogObject } from "consola/core";
import { UserError } from "../errors";
import type { Logger } from "../server/context";

export type LogFormat = "text" | "json";
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

export function parseLogFormat(value: unknown): LogFormat {
  const format = String(value ?? "text").toLowerCase();
  if (!(LOG_FORMATS as readonly string[]).includes(format)) throw new UserError(`--log-format: expected text or json (got '${String(value)}')`);
  return format as LogFormat;
}

const LEVEL_NAME: Record<string, string> = { warn: "warn", error: "error", fatal: "error", info: "info", log: "info", success: "info", debug: "debug", trace: "debug" };

/** One line per entry, in `format`. */
export function formatEntry(format: LogFormat, entry: { date: Date; type: string; message: string }): string {
  const level = LEVEL_NAME[entry.type] ?? entry.type;
  if (format === "json") return `${JSON.stringify({ time: entry.date.toISOString(), level, msg: entry.message })}\n`;
  return `${entry.date.toISOString()} ${level.padEnd(5)} ${entry.message}\n`;
}

const messageOf = (o: LogObject) => o.args.map((a) => (typeof a === "string" ? a : a instanceof Error ? a.message : JSON.stringify(a))).join(" ");

export interface ServeLogOptions {
  format: LogFormat;
  verbose: boolean;
  /** Log lines (default: stderr). */
  write?: (line: string) => void;
  /** The start-up banner (default: stdout): plain lines in text, info entries in json. */
  print?: (line: string) => void;
}

/** The server's logger and its banner printer. */
export function createServeLog(o: ServeLogOptions): { logger: Logger; print: (line: string) => void; error: (message: string) => void } {
  const reporter = (write: (line: string) => void): ConsolaReporter => ({
    log: (obj) => write(formatEntry(o.format, { date: obj.date, type: obj.type, message: messageOf(obj) })),
  });
  const write = o.write ?? ((l: string) => void process.stderr.write(l));
  const out = o.print ?? ((l: string) => void process.stdout.write(l));
  const log = createConsola({ level: o.verbose ? 4 : 3, throttle: 0, reporters: [reporter(write)] });
  const banner = createConsola({ level: 3, throttle: 0, reporters: [reporter(out)] });
  return {
    logger: { info: (m) => log.info(m), warn: (m) => log.warn(m), debug: (m) => log.debug(m) },
    print: o.format === "json" ? (line) => banner.info(line.trim()) : (line) => out(`${line}\n`),
    error: (m) => log.error(m),
  };
}
