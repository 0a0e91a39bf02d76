/**
 * A strict dotenv parser (pure). The accepted syntax:
 *
 *   # a comment line; blank lines are ignored
 *   NAME=value               unquoted: up to a ` #` comment or the end of the line, trimmed
 *   export NAME=value        `export ` is allowed and ignored
 *   NAME='literal'           single quotes: no escapes, may span lines
 *   NAME="a\nb \"q\" \\ \$"  double quotes: escapes \n \r \t \" \\ \$ only, may span lines
 *   NAME=                    the empty string
 *
 * Nothing is expanded (`$HOME` stays `$HOME`): values come from the file and nowhere else.
 * Anything else is an error naming the line: a line without `=`, a bad name, an unknown
 * escape, text after a closing quote, an unterminated quote, a name set twice, a NUL.
 * Messages never quote a value (they may be secrets).
 */

export class DotenvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = "DotenvError";
  }
}

export interface DotenvEntry {
  name: string;
  value: string;
  /** The line the entry starts on (1-based). */
  line: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\", $: "$" };

/** Parses `text` (the contents of `file`, named in errors); entries in file order. */
export function parseDotenv(text: string, file: string): DotenvEntry[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const out: DotenvEntry[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fail = (reason: string, at = lineNo): never => {
      throw new DotenvError(file, at, reason);
    };
    const raw = lines[i]!;
    if (raw.includes("\u0000")) fail("the line contains a NUL character");
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const body = line.replace(/^export\s+/, "");
    const eq = body.indexOf("=");
    if (eq < 0) fail("expected NAME=value");
    const name = body.slice(0, eq).trimEnd();
    if (!NAME.test(name)) fail(`"${name.slice(0, 64)}" is not a variable name (letters, digits and _, not starting with a digit)`);
    const first = seen.get(name);
    if (first !== undefined) fail(`${name} is set twice (first on line ${first})`);
    let rest = body.slice(eq + 1).replace(/^[ \t]+/, "");
    let value: string;
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // Quoted: read on (across lines) up to the closing quote.
      let text = rest.slice(1);
      let j = i;
      let acc = "";
      let closed = false;
      for (;;) {
        const r = readQuoted(text, quote);
        if (r.error) fail(r.error, j + 1);
        acc += r.value;
        if (r.end !== undefined) {
          rest = text.slice(r.end + 1);
          closed = true;
          break;
        }
        j++;
        if (j >= lines.length) break;
        acc += "\n";
        text = lines[j]!;
      }
      if (!closed) fail(`the ${quote === '"' ? "double" : "single"} quote opened here is never closed`);
      i = j;
      const after = rest.trim();
      if (after !== "" && !after.startsWith("#")) fail("only a # comment may follow the closing quote", j + 1);
      value = acc;
    } else if (quote === "`") {
      return fail("backtick quotes are not supported (use single or double quotes)");
    } else {
      const hash = rest.search(/\s#/);
      value = (hash >= 0 ? rest.slice(0, hash) : rest).trim();
      if (/["']/.test(value)) fail("a quote inside an unquoted value (quote the whole value)");
    }
    seen.set(name, lineNo);
    out.push({ name, value, line: lineNo });
  }
  return out;
}

/** Reads a quoted run of one line: its value and the closing quote's index (undefined: the value goes on). */
function readQuoted(text: string, quote: string): { value: string; end?: number; error?: string } {
  let value = "";
  for (let k = 0; k < text.length; k++) {
    const c = text[k]!;
    if (c === quote) return { value, end: k };
    if (c === "\\" && quote === '"') {
      const next = text[k + 1];
      if (next === undefined) return { value, error: "a backslash at the end of a line (write \\n for a newline)" };
      const e = ESCAPES[next];
      if (e === undefined) return { value, error: `an unknown backslash escape (allowed: \\n \\r \\t \\" \\\\ \\$)` };
      value += e;
      k++;
      continue;
    }
    value += c;
  }
  return { value };
}
