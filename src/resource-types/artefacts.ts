import { constants } from "node:fs";
import { lstat, mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * Work-dir artefacts and per-invocation scratch dirs.
 *
 * The work dir holds deployster's records of every invocation and is never mounted into a
 * container: a type gets a fresh scratch dir instead (mounted where it expects the work
 * dir), which deployster only ever removes. Records are created as new files that never
 * follow a symlink (O_CREAT | O_EXCL | O_NOFOLLOW), 0600, in 0700 folders, so nothing found
 * in the work dir can redirect a write.
 */

export const ARTEFACT_FILE_MODE = 0o600;
export const ARTEFACT_DIR_MODE = 0o700;
/** Under the work dir; resource names cannot start with a dot, so it never clashes. */
export const SCRATCH_FOLDER = ".scratch";

/**
 * Sortable, file-name-safe timestamps (`20250101T120000123Z`), unique among those one clock
 * gave: a second one within the same millisecond gets `-1`, `-2`, ... One clock per run.
 */
export class ArtefactClock {
  private last = "";
  private seq = 0;

  timestamp(now = new Date()): string {
    const base = now.toISOString().replace(/[-:]/g, "").replace(".", "");
    if (base === this.last) return `${base}-${++this.seq}`;
    this.last = base;
    this.seq = 0;
    return base;
  }
}

/** A path segment that cannot escape its directory (resource and action names are user data). */
export function safeSegment(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, "_");
  return s === "." || s === ".." || s === "" ? `_${s}` : s;
}

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/**
 * `root/segments...`, each missing folder created 0700; an existing one must be a real
 * folder (a symlink or anything else is refused). `root` itself is the user's choice.
 */
export async function ensurePrivateDir(root: string, segments: string[]): Promise<string> {
  await mkdir(root, { recursive: true, mode: ARTEFACT_DIR_MODE });
  let dir = root;
  for (const segment of segments) {
    dir = join(dir, segment);
    try {
      await mkdir(dir, { mode: ARTEFACT_DIR_MODE });
    } catch (err) {
      if (codeOf(err) !== "EEXIST") throw err;
      const st = await lstat(dir);
      if (!st.isDirectory()) throw new Error(`refusing to use ${dir}: not a folder (a symlink?)`);
    }
  }
  return dir;
}

/** Creates a new file with `data`, mode 0600: fails if anything (a symlink too) is at `path`. */
export async function writeNewFile(path: string, data: string | Uint8Array): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fh = await open(path, flags, ARTEFACT_FILE_MODE);
  try {
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
}

export type ArtefactKind = "stdin" | "stdout" | "stderr";

export interface ArtefactWriter {
  readonly dir: string;
  /** Writes one record; the first write picks a timestamp no file in `dir` has yet. */
  write(kind: ArtefactKind, data: string | Uint8Array): Promise<void>;
}

/**
 * One invocation's records: `<work>/<resource>/<action>/{stdin,stdout,stderr}-<ts>.json`,
 * `<ts>` from the run's `clock`.
 * Failures to write are not the invocation's failure (and a name already taken, say by a
 * leftover symlink, is never written through).
 */
export function createArtefactWriter(workDir: string, resource: string, action: string, clock = new ArtefactClock()): ArtefactWriter {
  const ready = ensurePrivateDir(workDir, [safeSegment(resource), safeSegment(action)]);
  ready.catch(() => {});
  let ts: string | undefined;
  let queue: Promise<void> = Promise.resolve();
  const writeOne = async (kind: ArtefactKind, data: string | Uint8Array) => {
    const dir = await ready;
    if (ts === undefined) {
      const base = clock.timestamp();
      for (let attempt = 0; attempt < 5; attempt++) {
        const candidate = attempt === 0 ? base : `${base}-${Math.random().toString(36).slice(2, 8)}`;
        try {
          await writeNewFile(join(dir, `${kind}-${candidate}.json`), data);
          ts = candidate;
          return;
        } catch (err) {
          if (codeOf(err) !== "EEXIST") throw err;
        }
      }
      return;
    }
    await writeNewFile(join(dir, `${kind}-${ts}.json`), data);
  };
  return {
    dir: join(workDir, safeSegment(resource), safeSegment(action)),
    write(kind, data) {
      // In order: the first write claims the timestamp the others reuse.
      queue = queue.then(() => writeOne(kind, data)).catch(() => {});
      return queue;
    },
  };
}

export interface ScratchDir {
  path: string;
  remove(): Promise<void>;
}

/**
 * A fresh, empty 0700 folder for one invocation (`<work>/.scratch/<random>`): the only
 * writable place deployster gives a type besides its plugs. deployster never reads from it
 * or writes into it; it removes it afterwards without following links inside.
 */
export async function createScratchDir(workDir: string): Promise<ScratchDir> {
  const base = await ensurePrivateDir(workDir, [SCRATCH_FOLDER]);
  const path = await mkdtemp(join(base, "inv-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }).catch(() => {}) };
}
