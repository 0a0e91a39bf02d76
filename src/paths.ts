import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/** Expands a leading `~` and makes `p` absolute against `base`. */
export function expandPath(p: string, base: string, home: string = homedir()): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return join(home, p.slice(2));
  return isAbsolute(p) ? resolve(p) : resolve(base, p);
}
