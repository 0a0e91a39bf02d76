/**
 * A fast path for parsing manifests: Bun's native YAML parser takes ~1 ms for a 300-line
 * manifest where the `yaml` library takes 30-140 ms in a fresh process (most of a no-op
 * plan). The two agree on the YAML 1.2 core schema but not everywhere, so the fast path is
 * taken only for texts inside a subset checked here line by line, where they give the same
 * value: block maps and sequences, one-line flow collections, one-line quoted scalars,
 * plain scalars, block scalars, comments. Anything else (anchors, aliases, merge keys,
 * tags, directives, several documents, complex or null keys, tabs, multi-line flow or
 * quoted scalars) and any duplicate key makes `scanSimpleYaml` answer false, and the caller
 * uses the `yaml` library, which also gives the errors and their positions.
 */

interface Frame {
  indent: number;
  keys: Set<string>;
  /** Keys from the root to this map; null under a sequence (positions are not recorded there). */
  path: string[] | null;
  last?: string;
}

/** 1-based line and column of block-map keys, by JSON of their key path (`["resources","web"]`). */
export type KeyPositions = Map<string, { line: number; col: number }>;

/** Characters that start something outside the subset when they begin a plain scalar. */
const SPECIAL_START = /^[&*!%@`|>?]/;
/** A one-line quoted scalar (double quotes without escapes). */
const QUOTED = /^'(?:[^']|'')*'|^"[^"\\]*"/;

/** The key of a plain or quoted map key, or undefined when outside the subset. */
function readKey(raw: string): string | undefined {
  const k = raw.trim();
  if (k.startsWith("'")) return /^'([^']|'')*'$/.test(k) ? k.slice(1, -1).replaceAll("''", "'") : undefined;
  if (k.startsWith('"')) return /^"[^"\\]*"$/.test(k) ? k.slice(1, -1) : undefined;
  // Plain keys: names only. A number, boolean or null as a key is a scalar the parsers may
  // turn into different strings (`1.0`, `True`), so those texts take the slow path.
  if (!/^[A-Za-z_][\w./-]*$/.test(k) || /^(true|false|null)$/i.test(k)) return undefined;
  return k;
}

/**
 * Checks a one-line flow collection starting at text[i] (`{` or `[`): quoted and plain
 * scalars, nested collections, no duplicate or null/collection keys. Returns the index
 * after it, or -1 when outside the subset.
 */
function scanFlow(text: string, i: number): number {
  const open = text[i];
  const close = open === "{" ? "}" : "]";
  const keys = new Set<string>();
  i++;
  for (;;) {
    while (text[i] === " ") i++;
    if (text[i] === close) return i + 1;
    // One entry: [key ':'] value, where a key is a scalar.
    let start = i;
    let scalarKey: string | undefined;
    if (text[i] === "{" || text[i] === "[") {
      i = scanFlow(text, i);
      if (i < 0) return -1;
    } else if (text[i] === "'" || text[i] === '"') {
      const m = QUOTED.exec(text.slice(i));
      if (!m) return -1;
      i += m[0].length;
      scalarKey = readKey(m[0]);
    } else {
      while (i < text.length && !/[,{}[\]]/.test(text[i]!) && !(text[i] === ":" && /[\s,{}[\]]/.test(text[i + 1] ?? " "))) {
        if (text[i] === "#" && text[i - 1] === " ") return -1;
        i++;
      }
      const raw = text.slice(start, i).trim();
      if (SPECIAL_START.test(raw) || raw.startsWith("-") && raw.length > 1 && raw[1] === " ") return -1;
      scalarKey = readKey(raw);
      if (!raw && text[i] !== ":") return -1; // an empty entry (`[,]`)
    }
    while (text[i] === " ") i++;
    if (text[i] === ":") {
      if (scalarKey === undefined) return -1;
      if (open === "{") {
        if (keys.has(scalarKey)) return -1;
        keys.add(scalarKey);
      }
      i++;
      while (text[i] === " ") i++;
      start = i;
      if (text[i] === "{" || text[i] === "[") {
        i = scanFlow(text, i);
        if (i < 0) return -1;
      } else if (text[i] === "'" || text[i] === '"') {
        const m = QUOTED.exec(text.slice(i));
        if (!m) return -1;
        i += m[0].length;
      } else {
        while (i < text.length && !/[,{}[\]]/.test(text[i]!)) {
          if ((text[i] === ":" && text[i + 1] === " ") || (text[i] === "#" && text[i - 1] === " ")) return -1;
          i++;
        }
        if (SPECIAL_START.test(text.slice(start, i).trim())) return -1;
      }
    } else if (open === "{") {
      // `{a}`: a key without a value.
      if (scalarKey === undefined || keys.has(scalarKey)) return -1;
      keys.add(scalarKey);
    }
    while (text[i] === " ") i++;
    if (text[i] === ",") {
      i++;
      continue;
    }
    if (text[i] === close) return i + 1;
    return -1;
  }
}

/** The part of a value before a trailing comment, or undefined when outside the subset. */
function checkValue(value: string): "nested" | "block" | "ok" | undefined {
  const v = value.trim();
  if (v === "" || v.startsWith("#")) return "nested";
  if (/^[|>][-+0-9]*\s*(#.*)?$/.test(v)) return "block";
  if (v.startsWith("{") || v.startsWith("[")) {
    const end = scanFlow(v, 0);
    if (end < 0) return undefined;
    const rest = v.slice(end).trim();
    return rest === "" || rest.startsWith("#") ? "ok" : undefined;
  }
  if (v.startsWith("'") || v.startsWith('"')) {
    const m = QUOTED.exec(v);
    if (!m) return undefined;
    const rest = v.slice(m[0].length).trim();
    return rest === "" || rest.startsWith("#") ? "ok" : undefined;
  }
  if (SPECIAL_START.test(v) || /: /.test(v) || v.endsWith(":")) return undefined;
  return "ok";
}

/**
 * The positions of the block-map keys when `text` is inside the subset (see the file
 * comment) and has no duplicate key; undefined otherwise.
 */
export function scanSimpleYaml(text: string): KeyPositions | undefined {
  if (text.startsWith("\uFEFF") || text.includes("\t")) return undefined;
  const frames: Frame[] = [];
  const positions: KeyPositions = new Map();
  let blockIndent = -1; // > -1: inside a block scalar owned by a line of this indent
  let lineNo = 0;
  for (const rawLine of text.split("\n")) {
    lineNo++;
    const line = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
    const indent = line.length - line.trimStart().length;
    const body = line.trimStart();
    if (blockIndent >= 0) {
      if (body === "" || indent > blockIndent) continue;
      blockIndent = -1;
    }
    if (body === "" || body.startsWith("#")) continue;
    if (/^(---|\.\.\.)(\s|$)/.test(body) || body.startsWith("%")) return undefined;
    let col = indent;
    let rest = body;
    let item = false;
    if (rest === "-" || rest.startsWith("- ")) {
      item = true;
      // A new sequence item: maps deeper than the dash belong to the previous item.
      while (frames.length && frames[frames.length - 1]!.indent > col) frames.pop();
      const after = rest.slice(1);
      col += 1 + (after.length - after.trimStart().length);
      rest = after.trimStart();
      if (rest === "" || rest.startsWith("#")) continue;
      if (rest === "-" || rest.startsWith("- ")) return undefined;
    }
    const m = /^('(?:[^']|'')*'|"[^"\\]*"|[^'"#\s][^#]*?):(?:\s+(.*))?$/.exec(rest);
    if (!m) {
      // Not a key: only a scalar item of a block sequence is in the subset.
      if (!item) return undefined;
      const kind = checkValue(rest);
      if (kind === undefined || kind === "nested") return undefined;
      if (kind === "block") blockIndent = indent;
      continue;
    }
    const key = readKey(m[1]!);
    if (key === undefined) return undefined;
    while (frames.length && frames[frames.length - 1]!.indent > col) frames.pop();
    let top = frames[frames.length - 1];
    if (top && top.indent === col && !item) {
      if (top.keys.has(key)) return undefined;
      top.keys.add(key);
    } else {
      if (item && top && top.indent === col) frames.pop();
      const parent = frames[frames.length - 1];
      const path = item ? null : !parent ? [] : parent.path && parent.last !== undefined ? [...parent.path, parent.last] : null;
      top = { indent: col, keys: new Set([key]), path };
      frames.push(top);
    }
    top.last = key;
    if (top.path) positions.set(JSON.stringify([...top.path, key]), { line: lineNo, col: col + 1 });
    const kind = checkValue(m[2] ?? "");
    if (kind === undefined) return undefined;
    if (kind === "block") blockIndent = col;
  }
  return positions;
}

/** Bun's parser on a text `scanSimpleYaml` accepted; undefined when Bun has none or refuses it. */
export function parseSimpleYaml(text: string): { value: unknown; positions: KeyPositions } | undefined {
  const bunYaml = (globalThis as { Bun?: { YAML?: { parse(t: string): unknown } } }).Bun?.YAML;
  const positions = bunYaml && scanSimpleYaml(text);
  if (!positions) return undefined;
  try {
    return { value: bunYaml.parse(text), positions };
  } catch {
    return undefined;
  }
}
