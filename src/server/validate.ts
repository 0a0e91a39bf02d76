/**
 * Input validation (spec decision 10): names and versions are checked before they reach an
 * image reference, a container name or a label; bodies are parsed into typed requests or
 * rejected with one readable reason (HttpError 400).
 */
import { isJsonObject } from "../api/json";
import { isValidTimestamp, NAME_PATTERN } from "../api/v1";
import { HttpError } from "./http";

export const MAX_INSTANCES = 100;

export function isValidName(s: unknown): s is string {
  return typeof s === "string" && NAME_PATTERN.test(s);
}

const nameRule = `must match ${NAME_PATTERN.source}`;

export function checkServiceName(name: string): string {
  if (!isValidName(name)) throw new HttpError(400, `Invalid service name "${printable(name)}": it ${nameRule}.`);
  return name;
}

export function checkVersion(version: string, field = "version"): string {
  if (!isValidName(version)) throw new HttpError(400, `Invalid ${field} "${printable(version)}": it ${nameRule}.`);
  return version;
}

export function checkTimestamp(ts: string, field = "timestamp"): string {
  if (!isValidTimestamp(ts)) {
    throw new HttpError(400, `Invalid ${field} "${printable(ts)}": it must be a UTC date formatted as YYYY.MM.DD-hh.mm.ss, e.g. 2006.01.02-15.04.05.`);
  }
  return ts;
}

/** Shortened, control characters escaped: safe to echo in an error message. */
function printable(s: unknown): string {
  const text = typeof s === "string" ? s : JSON.stringify(s) ?? String(s);
  const short = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's purpose (they are escaped).
  return short.replace(/[\u0000-\u001f\u007f"\\]/g, (c) => (c === '"' ? '\\"' : c === "\\" ? "\\\\" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

export interface DeployRequest {
  version: string;
  destroyPrevious: boolean;
  /** undefined: the server's now. */
  timestamp?: string;
  /** 0: as many as the single previous version, else 1. */
  instanceCount: number;
}

/** `{"deploy": {"version", "destroy_previous"?, "timestamp"?, "instance_count"?}}`; null = absent. */
export function parseDeployBody(body: unknown): DeployRequest {
  if (!isJsonObject(body) || !isJsonObject(body.deploy)) {
    throw new HttpError(400, 'The request body must be a JSON object with a "deploy" object, e.g. {"deploy": {"version": "v2"}}.');
  }
  const d = body.deploy;
  if (d.version === undefined || d.version === null || d.version === "") throw new HttpError(400, '"deploy.version" is required.');
  if (typeof d.version !== "string") throw new HttpError(400, '"deploy.version" must be a string.');
  checkVersion(d.version, "deploy.version");
  let destroyPrevious = false;
  if (d.destroy_previous !== undefined && d.destroy_previous !== null) {
    if (typeof d.destroy_previous !== "boolean") throw new HttpError(400, '"deploy.destroy_previous" must be true or false.');
    destroyPrevious = d.destroy_previous;
  }
  let timestamp: string | undefined;
  if (d.timestamp !== undefined && d.timestamp !== null && d.timestamp !== "") {
    if (typeof d.timestamp !== "string") throw new HttpError(400, '"deploy.timestamp" must be a string formatted as YYYY.MM.DD-hh.mm.ss.');
    timestamp = checkTimestamp(d.timestamp, "deploy.timestamp");
  }
  let instanceCount = 0;
  if (d.instance_count !== undefined && d.instance_count !== null) {
    const n = d.instance_count;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > MAX_INSTANCES) {
      throw new HttpError(400, `"deploy.instance_count" must be an integer from 0 to ${MAX_INSTANCES}.`);
    }
    instanceCount = n;
  }
  return { version: d.version, destroyPrevious, timestamp, instanceCount };
}

export interface TaskRequest {
  version: string;
  /** A string (the original) or an argv array. */
  command: string | string[];
}

const MAX_ARGS = 1000;

/** `{"task": {"version", "command"}}`; command is a non-empty string or array of strings. */
export function parseTaskBody(body: unknown): TaskRequest {
  if (!isJsonObject(body) || !isJsonObject(body.task)) {
    throw new HttpError(400, 'The request body must be a JSON object with a "task" object, e.g. {"task": {"version": "v2", "command": "echo hi"}}.');
  }
  const t = body.task;
  if (t.version === undefined || t.version === null || t.version === "") throw new HttpError(400, '"task.version" is required.');
  if (typeof t.version !== "string") throw new HttpError(400, '"task.version" must be a string.');
  checkVersion(t.version, "task.version");
  const c = t.command;
  if (c === undefined || c === null || c === "" || (Array.isArray(c) && c.length === 0)) throw new HttpError(400, '"task.command" is required.');
  if (typeof c === "string") {
    if (c.includes("\u0000")) throw new HttpError(400, '"task.command" must not contain NUL characters.');
    return { version: t.version, command: c };
  }
  if (Array.isArray(c) && c.length <= MAX_ARGS && c.every((a) => typeof a === "string" && !a.includes("\u0000"))) {
    return { version: t.version, command: c as string[] };
  }
  throw new HttpError(400, '"task.command" must be a string or an array of strings (argv).');
}
