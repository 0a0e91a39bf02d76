/**
 * Limits on what a resource type answers, so that a hostile or broken type fails with a
 * protocol error instead of exhausting the engine: JSON answers nest at most MAX_JSON_DEPTH
 * levels (deeper ones overflow the stack of JSON.stringify and of recursive walks later).
 * The byte cap of a JSON answer is enforced while reading (image.ts, MAX_JSON_STDOUT_BYTES).
 */

export const MAX_JSON_DEPTH = 64;

/** Whether arrays/objects in JSON `text` nest deeper than `max`: one linear scan, no parse. */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

export type ParsedOutput = { ok: true; value: unknown } | { ok: false; problem: "empty" | "deep" | "invalid"; message: string };

/** A JSON answer of a type: trimmed, depth-checked before parsing, then parsed. */
export function parseTypeOutput(stdout: string, maxDepth = MAX_JSON_DEPTH): ParsedOutput {
  const text = stdout.trim();
  if (text === "") return { ok: false, problem: "empty", message: "no output" };
  if (jsonNestsDeeperThan(text, maxDepth)) {
    return { ok: false, problem: "deep", message: `answered JSON nested deeper than ${maxDepth} levels (the limit of a type's answer)` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const head = text.length > 120 ? `${text.slice(0, 120)}...` : text;
    return { ok: false, problem: "invalid", message: `${(err as Error).message} (stdout: ${JSON.stringify(head)})` };
  }
}
