import { createInterface } from "node:readline";
import type { Writer } from "./human";

/**
 * Yes/no questions on a terminal: the question goes to `output`, one line is read from
 * `input`. Anything but y/yes is a no (the default). `close` releases stdin.
 */
export function createTerminalPrompt(input: NodeJS.ReadableStream, output: Writer) {
  let rl: ReturnType<typeof createInterface> | undefined;
  let closed = false;
  const lines: string[] = [];
  const waiters: ((line: string | undefined) => void)[] = [];
  const open = () => {
    if (rl) return;
    rl = createInterface({ input, terminal: false });
    rl.on("line", (line) => {
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    });
    rl.on("close", () => {
      closed = true;
      for (const w of waiters.splice(0)) w(undefined);
    });
  };
  return {
    async ask(question: string): Promise<boolean> {
      open();
      output.write(`${question} [y/N] `);
      const line = lines.shift() ?? (closed ? undefined : await new Promise<string | undefined>((r) => waiters.push(r)));
      if (line === undefined) output.write("\n");
      return /^\s*y(es)?\s*$/i.test(line ?? "");
    },
    close() {
      rl?.close();
    },
  };
}
