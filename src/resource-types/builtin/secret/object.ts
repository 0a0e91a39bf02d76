/**
 * deployster/docker-secret and deployster/docker-config: immutable Swarm objects. Swarm
 * forbids changing one in place, so every content is its own object, named
 * `<name>-<digest>` (the first 12 hex digits of the sha256 of content and labels): a change
 * plans the creation of a new version, dependents that name `{{ x.state.name }}` see a new
 * name and roll, and older versions are removed once no service uses them.
 */
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { DockerClient } from "../../../docker/client";
import { DockerApiError } from "../../../docker/errors";
import { createSwarmObject, inspectSwarmObject, listSwarmObjects, removeSwarmObject, type SwarmObjectKind } from "../../../docker/secrets";
import { UserError } from "../../../errors";
import type { ActionSpec, ResourceType, StateResult } from "../../../engine/resource-type";
import { BurstCache } from "../common/burst-cache";
import { sha256Hex, stableStringify } from "../common/hash";
import { checkUserLabels, isManaged, LABEL_CONFIG_HASH, LABEL_MANAGED, LABEL_TYPE } from "../common/labels";
import { builtinInit, makeLog, normalizeStringMap, STRING_MAP_SCHEMA, unknownAction, type BuiltinTypeOptions } from "../common/runtime";
import type { SwarmObject } from "../../docker-objects";

/** The logical name every version of one object carries (what old versions are found by). */
export const LABEL_OBJECT_NAME = "deployster.object-name";
/** Swarm's limit on the data of one secret or config. */
export const MAX_OBJECT_BYTES = 500 * 1024;
const DIGEST_CHARS = 12;

/** Logical names leave room for `-<digest>` within Swarm's 64 characters. */
const OBJECT_NAME_SCHEMA = { type: "string", maxLength: 50, pattern: "^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?$" } as const;

export function objectConfigSchema(what: string): Record<string, unknown> {
  return {
    type: "object",
    additionalProperties: false,
    properties: {
      name: { ...OBJECT_NAME_SCHEMA, description: `Logical ${what} name (default: the resource name); the object is <name>-<digest>` },
      value: { type: "string", description: "The content (exactly one of value and file)" },
      file: { type: "string", minLength: 1, description: "A file holding the content, relative to the workspace" },
      labels: STRING_MAP_SCHEMA,
    },
  };
}

export interface ObjectSpec {
  name: string;
  labels: Record<string, string>;
  data: Uint8Array;
  /** sha256 of content and labels; its first 12 digits version the name. */
  digest: string;
  versionedName: string;
}

function readContent(config: Record<string, unknown>, workspace: string): Uint8Array {
  const hasValue = typeof config.value === "string";
  const hasFile = typeof config.file === "string";
  if (hasValue === hasFile) throw new UserError("config: set exactly one of value and file");
  if (hasValue) {
    const data = new TextEncoder().encode(config.value as string);
    if (data.length > MAX_OBJECT_BYTES) throw new UserError(`config.value: ${data.length} bytes is over Swarm's limit of ${MAX_OBJECT_BYTES}`);
    return data;
  }
  const path = isAbsolute(config.file as string) ? (config.file as string) : resolve(workspace, config.file as string);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UserError(`config.file: ${path} is not a regular file`);
    size = st.size;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`config.file: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (size > MAX_OBJECT_BYTES) throw new UserError(`config.file: ${path} is ${size} bytes, over Swarm's limit of ${MAX_OBJECT_BYTES}`);
  return new Uint8Array(readFileSync(path));
}

export function normalizeObjectConfig(resourceName: string, config: Record<string, unknown>, workspace: string): ObjectSpec {
  const labels = normalizeStringMap(config.labels);
  checkUserLabels(labels, "config.labels");
  if (LABEL_OBJECT_NAME in labels) throw new UserError(`config.labels.${LABEL_OBJECT_NAME}: the label is reserved for deployster`);
  const name = (config.name as string | undefined) ?? resourceName;
  if (name.length > 50) throw new UserError(`config.name: '${name}' is longer than 50 characters`);
  const data = readContent(config, workspace);
  const contentHash = new Bun.CryptoHasher("sha256").update(data).digest("hex");
  const digest = sha256Hex(stableStringify({ content: contentHash, labels }));
  return { name, labels, data, digest, versionedName: `${name}-${digest.slice(0, DIGEST_CHARS)}` };
}

/** What dependents see: `{{ db_pass.state.name }}` is the versioned object name to reference. */
export function extractObjectState(inspect: SwarmObject, spec: ObjectSpec): Record<string, unknown> {
  return { id: inspect.ID, name: inspect.Spec?.Name, logical_name: spec.name, digest: spec.digest.slice(0, DIGEST_CHARS) };
}

/** VALID when the current version exists (and is ours); otherwise one `create`. Pure. */
export function planObject(kind: SwarmObjectKind, spec: ObjectSpec, current: SwarmObject | null, versions: string[]): StateResult {
  const what = kind === "secrets" ? "secret" : "config";
  if (current) {
    if (!isManaged(current.Spec?.Labels)) {
      throw new UserError(`${what} '${spec.versionedName}' exists but is not managed by deployster; remove it or choose another name`);
    }
    return { status: "VALID", state: extractObjectState(current, spec) };
  }
  const older = versions.filter((v) => v !== spec.versionedName).sort();
  const why = older.length ? ` (content or labels changed; replaces ${older.join(", ")}, removed once no service uses it)` : "";
  return { status: "STALE", actions: [{ name: "create", description: `create ${what} ${spec.versionedName}${why}` }] };
}

export function createObjectType(kind: SwarmObjectKind, type: string, opts: BuiltinTypeOptions): ResourceType {
  const cache = opts.cache ?? new BurstCache();
  const schema = objectConfigSchema(kind === "secrets" ? "secret" : "config");
  const versionsOf = async (d: DockerClient, name: string) =>
    (await listSwarmObjects(d, kind, { labels: [`${LABEL_OBJECT_NAME}=${name}`, `${LABEL_TYPE}=${type}`] })).map((o) => ({ id: o.ID as string, name: o.Spec?.Name as string }));
  return {
    type,
    async init() {
      return builtinInit(schema);
    },
    async state(req) {
      const spec = normalizeObjectConfig(req.name, req.config, req.workspace);
      const d = opts.docker();
      const current = await inspectSwarmObject(d, kind, spec.versionedName);
      const versions = current ? [] : (await versionsOf(d, spec.name)).map((v) => v.name);
      return planObject(kind, spec, current, versions);
    },
    action(req, action: ActionSpec, _init, _mounts, io) {
      return cache.around(async () => {
        if (action.name !== "create") unknownAction(type, action);
        const d = opts.docker();
        const log = makeLog(io);
        const spec = normalizeObjectConfig(req.name, req.config, req.workspace);
        const labels = { ...spec.labels, [LABEL_MANAGED]: "true", [LABEL_TYPE]: type, [LABEL_CONFIG_HASH]: spec.digest, [LABEL_OBJECT_NAME]: spec.name };
        const { ID } = await createSwarmObject(d, kind, { Name: spec.versionedName, Labels: labels, data: spec.data });
        log(`created ${kind === "secrets" ? "secret" : "config"} ${spec.versionedName} (${ID.slice(0, 12)})`);
        for (const old of await versionsOf(d, spec.name)) {
          if (old.id !== ID) await removeUnusedObject(d, kind, old.id, old.name, log);
        }
      });
    },
  };
}

/** Removes an old version unless a service still uses it (Swarm refuses then: kept, and said so). */
export async function removeUnusedObject(d: DockerClient, kind: SwarmObjectKind, id: string, name: string, log: (l: string) => void): Promise<void> {
  try {
    await removeSwarmObject(d, kind, id);
    log(`removed old version ${name}`);
  } catch (err) {
    if (err instanceof DockerApiError && err.status === 400 && /in use/i.test(err.engineMessage)) {
      log(`kept ${name}: still used by a service (removed when the services move on)`);
      return;
    }
    throw err;
  }
}
