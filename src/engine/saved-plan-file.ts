/**
 * Reading and writing saved plan files. A saved plan is user input when it comes back: its
 * shape is checked field by field before anything uses it, its size is bounded, and a file
 * written by another deployster version or format version is refused.
 */
import { closeSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { UserError } from "../errors";
import { VERSION } from "../version";
import { MAX_SAVED_PLAN_BYTES, SAVED_PLAN_FORMAT, SAVED_PLAN_VERSION, type SavedPlan } from "./saved-plan";

/** Writes the plan atomically (temp file + rename), readable by its owner only. */
export function writeSavedPlan(file: string, plan: SavedPlan): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  } catch (err) {
    throw new UserError(`cannot write the plan to '${file}': ${(err as Error).message}`);
  }
}

/** True when `file` starts like a saved plan (`{` then our format marker), without reading it all. */
export function looksLikeSavedPlan(file: string): boolean {
  let fd: number | undefined;
  try {
    if (!statSync(file).isFile()) return false;
    fd = openSync(file, "r");
    const head = Buffer.alloc(512);
    const n = readSync(fd, head, 0, head.length, 0);
    const text = head.subarray(0, n).toString("utf8").trimStart();
    return text.startsWith("{") && text.includes(`"${SAVED_PLAN_FORMAT}"`);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === "string";
const isStringMap = (v: unknown) => isObject(v) && Object.values(v).every(isString);
const isStringList = (v: unknown) => Array.isArray(v) && v.every(isString);

function checkResource(r: unknown, i: number): string | undefined {
  if (!isObject(r)) return `resources[${i}] is not an object`;
  if (!isString(r.name) || !isString(r.type) || !isStringMap(r.dependencies)) return `resources[${i}] needs name, type and dependencies`;
  if (r.status === "PENDING") return isStringList(r.pending_on) ? undefined : `resources[${i}].pending_on must be a list of names`;
  if (r.status !== "VALID" && r.status !== "STALE") return `resources[${i}].status must be VALID, STALE or PENDING`;
  if (!isString(r.config_digest) || !isString(r.state_digest)) return `resources[${i}] needs config_digest and state_digest`;
  if (r.status === "STALE") {
    const ok = Array.isArray(r.actions) && r.actions.every((a) => isObject(a) && isString(a.name) && isString(a.description) && isString(a.image) && isStringList(a.args));
    if (!ok) return `resources[${i}].actions must be a list of actions`;
  }
  return undefined;
}

/** Reads and checks a saved plan; every problem is one clear UserError naming the file. */
export function readSavedPlan(file: string): SavedPlan {
  const fail = (why: string) => new UserError(`'${file}' is not a usable saved plan: ${why}`);
  let text: string;
  try {
    if (statSync(file).size > MAX_SAVED_PLAN_BYTES) throw fail(`larger than ${MAX_SAVED_PLAN_BYTES} bytes`);
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read the saved plan '${file}': ${(err as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw fail(`invalid JSON (${(err as Error).message})`);
  }
  if (!isObject(v) || v.format !== SAVED_PLAN_FORMAT) throw fail(`not a ${SAVED_PLAN_FORMAT} document`);
  if (v.format_version !== SAVED_PLAN_VERSION) throw fail(`format_version ${JSON.stringify(v.format_version)} is not supported (this deployster reads ${SAVED_PLAN_VERSION})`);
  if (v.deployster_version !== VERSION) throw fail(`it was made by deployster ${String(v.deployster_version)}, this is ${VERSION}: plan again`);
  for (const k of ["created_at", "run_id", "cwd", "workspace", "salt"]) if (!isString(v[k])) throw fail(`'${k}' must be a string`);
  if (!isStringList(v.manifests) || (v.manifests as string[]).length === 0) throw fail("'manifests' must be a non-empty list of paths");
  const varsOk = Array.isArray(v.variables) && v.variables.every((x) => isObject(x) && ((isString(x.var) && isString(x.value)) || isString(x.var_file)));
  if (!varsOk) throw fail("'variables' must be a list of {var, value} or {var_file}");
  if (!Array.isArray(v.resources)) throw fail("'resources' must be a list");
  for (const [i, r] of v.resources.entries()) {
    const problem = checkResource(r, i);
    if (problem) throw fail(problem);
  }
  return v as unknown as SavedPlan;
}
