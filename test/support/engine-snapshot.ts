/**
 * A fingerprint of everything on the engine that the test suite must not touch: every
 * container, network, volume (with a digest of its files) and image tag, and deployster's
 * own directories of the user (~/.deployster, the repository's .deployster workspace state). scripts/test.sh
 * takes one before the suite (`bun test/support/engine-snapshot.ts FILE`) and
 * test/final/untouched.test.ts compares each object of it with the engine afterwards, so
 * a user's deployment (say, the README's quickstart) provably stays exactly as it was.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { inspectContainer, listContainers } from "../../src/docker/containers";
import { listImages } from "../../src/docker/images";
import { inspectNetwork, listNetworks } from "../../src/docker/networks";
import { listVolumes } from "../../src/docker/volumes";
import { docker } from "./docker";

/** Object key (`container:<id>`, `volume:<name>`, ...) → what must stay the same about it. */
export type EngineSnapshot = Record<string, string>;

/** Files hashed per volume at most; past that the digest says so (and still compares). */
const MAX_FILES_PER_VOLUME = 20_000;

/** Bytes of file content hashed per volume at most; larger files count by size and mtime. */
const MAX_CONTENT_BYTES = 64 * 1024 * 1024;

/** Paths, types, sizes, modes and mtimes of a volume's files, and the content of the small ones. */
export function digestTree(root: string): string {
  const hash = createHash("sha256");
  let count = 0;
  let contentBytes = 0;
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      hash.update(`!${rel}:${(err as NodeJS.ErrnoException).code}\n`);
      return;
    }
    for (const name of names) {
      if (++count > MAX_FILES_PER_VOLUME) return;
      const path = join(dir, name);
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st) continue;
      const kind = st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : "f";
      hash.update(`${kind} ${rel}/${name} ${st.size} ${st.mtimeMs} ${st.mode}\n`);
      if (kind === "f" && st.size <= 1024 * 1024 && contentBytes + st.size <= MAX_CONTENT_BYTES) {
        contentBytes += st.size;
        try {
          hash.update(readFileSync(path));
        } catch (err) {
          hash.update(`!${(err as NodeJS.ErrnoException).code}`);
        }
      }
      if (st.isDirectory()) walk(path, `${rel}/${name}`);
    }
  };
  walk(root, "");
  return `${hash.digest("hex").slice(0, 16)}${count > MAX_FILES_PER_VOLUME ? " (first files only)" : ""}`;
}

async function containerPrints(out: EngineSnapshot): Promise<void> {
  for (const c of await listContainers(docker, { all: true })) {
    const i = await inspectContainer(docker, c.Id);
    if (!i) continue;
    out[`container:${c.Id}`] = JSON.stringify({
      name: i.Name,
      image: i.Image,
      status: i.State?.Status,
      startedAt: i.State?.StartedAt,
      restarts: i.RestartCount,
      labels: i.Config?.Labels ?? {},
      mounts: (i.Mounts ?? []).map((m: any) => `${m.Type}:${m.Name ?? m.Source}:${m.Destination}`),
    });
  }
}

async function networkPrints(out: EngineSnapshot): Promise<void> {
  for (const n of await listNetworks(docker)) {
    const i = await inspectNetwork(docker, n.Id);
    if (!i) continue;
    out[`network:${n.Id}`] = JSON.stringify({ name: i.Name, driver: i.Driver, labels: i.Labels ?? {}, ipam: i.IPAM?.Config ?? [], containers: Object.keys(i.Containers ?? {}).sort() });
  }
}

async function volumePrints(out: EngineSnapshot): Promise<void> {
  for (const v of await listVolumes(docker)) {
    out[`volume:${v.Name}`] = JSON.stringify({ driver: v.Driver, labels: v.Labels ?? {}, created: v.CreatedAt, data: v.Mountpoint ? digestTree(v.Mountpoint) : "" });
  }
}

async function imagePrints(out: EngineSnapshot): Promise<void> {
  for (const img of await listImages(docker)) for (const tag of img.RepoTags ?? []) if (tag !== "<none>:<none>") out[`image:${tag}`] = img.Id;
}

/** deployster's own files of the user: its conf dir, and the quickstart's workspace state (plugs). */
const USER_DIRS = [join(process.env.CONF_DIR || join(homedir(), ".deployster")), join(import.meta.dir, "../../.deployster")];

function userDirPrints(out: EngineSnapshot): void {
  for (const dir of USER_DIRS) if (existsSync(dir)) out[`dir:${dir}`] = digestTree(dir);
}

export async function takeEngineSnapshot(): Promise<EngineSnapshot> {
  const out: EngineSnapshot = {};
  userDirPrints(out);
  await containerPrints(out);
  await networkPrints(out);
  await volumePrints(out);
  await imagePrints(out);
  return out;
}

/** Each object of `before` that is gone or differs now, as `key: before → now` lines. */
export function compareSnapshots(before: EngineSnapshot, now: EngineSnapshot): string[] {
  const changed: string[] = [];
  for (const [key, print] of Object.entries(before)) {
    if (now[key] !== print) changed.push(`${key}: ${print} → ${now[key] ?? "(gone)"}`);
  }
  return changed;
}

if (import.meta.main) {
  const file = process.argv[2];
  if (!file) throw new Error("usage: bun test/support/engine-snapshot.ts FILE");
  writeFileSync(file, JSON.stringify(await takeEngineSnapshot(), null, 1));
}
