/**
 * Build-time helpers, imported `with { type: "macro" }`: they run while Bun bundles (the
 * compiled binary, or a source run) and their results are inlined as strings, so the page's
 * script and style are part of the executable and nothing is read from disk at run time.
 */
import { readFileSync } from "node:fs";

/** Bundles a browser entry point (with its npm imports, minified) into one ES module. */
export function bundleBrowserScript(entry: string): string {
  const path = new URL(entry, import.meta.url).pathname;
  // Bun.build cannot run inside a macro (the bundler waits for the macro): use the CLI.
  const r = Bun.spawnSync([process.execPath, "build", path, "--target=browser", "--format=esm", "--minify"], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`bundling ${entry} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

export function readTextFile(file: string): string {
  return readFileSync(new URL(file, import.meta.url), "utf8");
}
