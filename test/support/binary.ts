import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const BIN = join(ROOT, "bin/deployster");

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * bin/deployster, compiled when missing or older than a file under src/. The suite's set-up
 * (scripts/setup.sh) normally builds it; this lets a test file run on its own. scripts/build.sh
 * writes it atomically, so a concurrent user never sees half a file.
 */
export function ensureBinary(): string {
  if (existsSync(BIN) && newestSource(join(ROOT, "src")) <= statSync(BIN).mtimeMs) return BIN;
  const p = Bun.spawnSync(["bash", join(ROOT, "scripts/build.sh"), BIN], { cwd: ROOT });
  if (p.exitCode !== 0 && !existsSync(BIN)) throw new Error(`cannot compile bin/deployster:\n${p.stderr.toString()}`);
  return BIN;
}
