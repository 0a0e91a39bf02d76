import { basename } from "node:path";
import { buildCli, parseArgv } from "./cli";
import { ExitError, InternalError, UserError } from "./errors";
import { DockerApiError, DockerUnreachableError } from "./docker/errors";
import { installBrokenPipeHandler, installSignalHandlers } from "./shutdown";

/**
 * The only place that decides exit codes. Returns the code; bin/deployster.ts sets it.
 * `argv` is process.argv (runtime, script, ...args); `argv0` the name the binary was invoked as.
 */
export async function main(argv: string[], argv0: string = process.argv0): Promise<number> {
  const args = argv.slice(2);
  const verbose = args.includes("-v") || args.includes("--verbose");
  installSignalHandlers();
  try {
    // A compiled binary sees its invoked name (symlink or copy) in argv0; `bun script.ts`
    // sees the script path in argv[1].
    const asDeployctl = [argv0, argv[1] ?? ""].some((p) => basename(p).replace(/\.[jt]s$/, "") === "deployctl");
    if (asDeployctl || args[0] === "ctl") {
      const { runCtl } = await import("./commands/ctl/index");
      return await runCtl(asDeployctl ? args : args.slice(1), { env: process.env });
    }
    // ctl handles a closed stdout itself (it must also end the task stream cleanly).
    installBrokenPipeHandler();
    const cli = buildCli();
    parseArgv(cli, args);
    if (!cli.matchedCommand) {
      if (cli.options.help || cli.options.version) return 0;
      if (cli.args.length > 0) throw new UserError(`unknown command: ${cli.args[0]} (see deployster --help)`);
      cli.outputHelp();
      return 1;
    }
    if (cli.options.help) return 0;
    const code = await cli.runMatchedCommand();
    return typeof code === "number" ? code : 0;
  } catch (err) {
    return reportError(err, verbose);
  }
}

export function reportError(err: unknown, verbose: boolean): number {
  if (err instanceof ExitError) return err.exitCode;
  if (err instanceof Error && err.name === "CACError") {
    process.stderr.write(`error: ${err.message} (see --help)\n`);
    return 1;
  }
  if (err instanceof UserError || err instanceof DockerUnreachableError || err instanceof DockerApiError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
    return err instanceof UserError ? err.exitCode : 1;
  }
  const e = err instanceof Error ? err : new InternalError(String(err));
  process.stderr.write(`internal error (a bug in deployster): ${e.message}\n${e.stack ?? ""}\n`);
  return 1;
}
