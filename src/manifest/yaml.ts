import { readFile } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import { UserError } from "../errors";
import { parseSimpleYaml } from "./fast-yaml";

/** A parsed YAML file that can still tell where a path came from (`file:line:col`). */
export interface YamlFile {
  file: string;
  value: unknown;
  /** `file:line:col` of the node at `path` (or of the map key `key` under it), else `file`. */
  locate(path: (string | number)[], key?: string): string;
}

/**
 * Reads and parses one YAML file. Malformed YAML is a UserError naming the file, line and
 * column: `a.yaml:3:5: malformed manifest: ...`. `what` names the kind of file in messages.
 */
export async function readYamlFile(file: string, what: string, display = file): Promise<YamlFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") throw new UserError(`${what} '${display}' not found`);
    if (code === "EISDIR") throw new UserError(`${what} '${display}' is a directory, not a file`);
    throw new UserError(`cannot read ${what} '${display}': ${(err as Error).message}`);
  }
  return parseYamlText(text, display, what);
}

/** Describes a file for messages: relative to `base` when inside it, else absolute. */
export function displayPath(file: string, base: string): string {
  const rel = relative(base, file);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

export function parseYamlText(text: string, file: string, what: string): YamlFile {
  // Most manifests are plain block YAML: Bun's parser gives their value in a fraction of the
  // time (see fast-yaml.ts); positions, only needed to report a problem, are computed then.
  const fast = parseSimpleYaml(text);
  if (fast) {
    let located: YamlFile | undefined;
    return {
      file,
      value: fast.value,
      locate(path, key) {
        const known = key !== undefined && fast.positions.get(JSON.stringify([...path, key]));
        if (known) return `${file}:${known.line}:${known.col}`;
        located ??= parseWithPositions(text, file, what);
        return located.locate(path, key);
      },
    };
  }
  return parseWithPositions(text, file, what);
}

/** The `yaml` library's parse, which knows where every node came from. */
export function parseWithPositions(text: string, file: string, what: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lineCounter.linePos(e.pos[0]);
    const message = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new UserError(`${file}:${pos.line}:${pos.col}: malformed ${what}: ${message}`);
  }
  const value = doc.toJS({ maxAliasCount: 1000 });
  return {
    file,
    value,
    locate(path, key) {
      const offset = offsetOf(doc, path, key);
      if (offset === undefined) return file;
      const pos = lineCounter.linePos(offset);
      return `${file}:${pos.line}:${pos.col}`;
    },
  };
}

function offsetOf(doc: Document, path: (string | number)[], key?: string): number | undefined {
  // Walk as deep as the document goes, so a problem under a missing node points at its parent.
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const segment of path) {
    const next = isMap(node) || (node as { items?: unknown })?.items ? (node as { get(k: unknown, keep: true): unknown }).get(segment, true) : undefined;
    if (next === undefined) break;
    node = next;
    offset = rangeStart(node) ?? offset;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    if (pair && isScalar(pair.key)) offset = pair.key.range?.[0] ?? offset;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | null)?.range?.[0];
}
