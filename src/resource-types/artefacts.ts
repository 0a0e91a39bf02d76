import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

let last = "";
let seq = 0;

/** A sortable, file-name-safe timestamp, unique within the process (`20250101T120000123Z`). */
export function artefactTimestamp(now = new Date()): string {
  const base = now.toISOString().replace(/[-:]/g, "").replace(".", "");
  if (base === last) return `${base}-${++seq}`;
  last = base;
  seq = 0;
  return base;
}

/** A path segment that cannot escape its directory (resource and action names are user data). */
export function safeSegment(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, "_");
  return s === "." || s === ".." || s === "" ? `_${s}` : s;
}

/**
 * Writes one invocation's artefacts: `<work>/<resource>/<action>/{stdin,stdout,stderr}-<ts>.json`
 * (resource-protocol.md section 5). Failures to write are not the invocation's failure.
 */
export function createArtefactWriter(workDir: string, resource: string, action: string) {
  const dir = join(workDir, safeSegment(resource), safeSegment(action));
  const ts = artefactTimestamp();
  const ready = mkdir(dir, { recursive: true }).then(
    () => true,
    () => false,
  );
  const write = async (kind: "stdin" | "stdout" | "stderr", data: string | Uint8Array) => {
    if (!(await ready)) return;
    await writeFile(join(dir, `${kind}-${ts}.json`), data).catch(() => {});
  };
  return { dir, ts, write };
}
