import type { ErrorObject } from "ajv";

/**
 * Turns ajv errors into readable problems, each with its path (`resources.web.dependencies`).
 * `locate` gives `file:line:col` for a path (and optionally a key under it).
 */
export function describeSchemaErrors(
  errors: ErrorObject[],
  root: unknown,
  locate: (path: (string | number)[], key?: string) => string,
): string[] {
  const problems: string[] = [];
  for (const e of errors) {
    // propertyNames failures come twice (the pattern and the wrapper); keep the wrapper.
    if (e.propertyName !== undefined && e.keyword !== "propertyNames") continue;
    const segments = pointerSegments(e.instancePath, root);
    const path = formatPath(segments);
    const at = (key?: string) => `${locate(segments, key)}: `;
    switch (e.keyword) {
      case "required": {
        const key = (e.params as { missingProperty: string }).missingProperty;
        problems.push(`${at()}${path || "(top level)"}: missing required key '${key}'`);
        break;
      }
      case "additionalProperties": {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        problems.push(`${at(key)}${path || "(top level)"}: unknown key '${key}'`);
        break;
      }
      case "propertyNames": {
        const name = (e.params as { propertyName: string }).propertyName;
        problems.push(`${at(name)}${path}: invalid name '${name}' (must start with a letter and contain only letters, digits, '_' and '-')`);
        break;
      }
      case "type": {
        const want = ([] as string[]).concat((e.params as { type: string | string[] }).type);
        problems.push(`${at()}${path || "(top level)"}: must be ${want.map(describeType).join(" or ")} (got ${describeValue(valueAt(root, segments))})`);
        break;
      }
      default:
        problems.push(`${at()}${path || "(top level)"}: ${e.message ?? e.keyword}`);
    }
  }
  return problems;
}

/** JSON pointer → segments, numbers where the value there is a list. */
export function pointerSegments(pointer: string, root: unknown): (string | number)[] {
  if (!pointer) return [];
  const out: (string | number)[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const seg = Array.isArray(node) && /^\d+$/.test(key) ? Number(key) : key;
    out.push(seg);
    node = node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined;
  }
  return out;
}

/** `['resources', 'web', 'config', 'list', 1, 'n']` → `resources.web.config.list[1].n`. */
export function formatPath(segments: (string | number)[]): string {
  let out = "";
  for (const s of segments) out += typeof s === "number" ? `[${s}]` : out ? `.${s}` : s;
  return out;
}

function valueAt(root: unknown, segments: (string | number)[]): unknown {
  let node = root;
  for (const s of segments) node = node && typeof node === "object" ? (node as Record<string | number, unknown>)[s] : undefined;
  return node;
}

function describeType(t: string): string {
  return ({ object: "a mapping", array: "a list", string: "a string", boolean: "a boolean", number: "a number", integer: "an integer", null: "null" } as Record<string, string>)[t] ?? t;
}

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${describeType(typeof v)} ${JSON.stringify(v)}`;
}
