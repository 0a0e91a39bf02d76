import { basename } from "node:path";
import { buildCli, parseArgv } from "./cli";
import { DockerApiError, DockerUnreachableError } from "./docker/errors";
import { ExitError, InternalError, UserError } from "./errors";
import { EXIT_FAILURE, EXIT_OK, exitCodeOfError } from "./exit-codes";
import { installBrokenPipeHandler, installSignalHandlers, Shutdown } from "./shutdown";

/**
 * Runs one command line and returns its exit code (bin/deployster.ts sets it). Creates the
 * process's one Shutdown: SIGINT/SIGTERM abort its signal, which the commands hand to
 * everything they start. `argv` is process.argv (runtime, script, ...args); `argv0` the name
 * the binary was invoked as.
 */
export async function main(argv: string[], argv0: string = process.argv0): Promise<number> {
  const args = argv.slice(2);
  const verbose = args.includes("-v") || args.includes("--verbose");
  const shutdown = new Shutdown();
  installSignalHandlers(shutdown);
  let code: number;
  try {
    code = await runCommand(args, argv, argv0, shutdown);
  } catch (err) {
    // What fails once the process was told to stop is the stop itself: no message.
    code = shutdown.signal.aborted ? EXIT_FAILURE : reportError(err, verbose);
  }
  // Stopped: the shutdown's code, once its clean-up is over.
  return (await shutdown.finished) ?? code;
}

async function runCommand(args: string[], argv: string[], argv0: string, shutdown: Shutdown): Promise<number> {
  // A compiled binary sees its invoked name (symlink or copy) in argv0; `bun script.ts`
  // sees the script path in argv[1].
  const asDeployctl = [argv0, argv[1] ?? ""].some((p) => basename(p).replace(/\.[jt]s$/, "") === "deployctl");
  if (asDeployctl || args[0] === "ctl") {
    const { runCtl } = await import("./commands/ctl/index");
    return await runCtl(asDeployctl ? args : args.slice(1), { env: process.env });
  }
  // ctl handles a closed stdout itself (it must also end the task stream cleanly).
  installBrokenPipeHandler(shutdown);
  const cli = buildCli(shutdown);
  parseArgv(cli, args);
  if (!cli.matchedCommand) {
    if (cli.options.help || cli.options.version) return EXIT_OK;
    if (cli.args.length > 0) throw new UserError(`unknown command: ${cli.args[0]} (see deployster --help)`);
    const option = args.find((a) => a.startsWith("-") && a !== "-v" && a !== "--verbose");
    if (option) throw new UserError(`unknown option ${option.split("=")[0]} (see deployster --help)`);
    cli.outputHelp();
    return EXIT_FAILURE;
  }
  if (cli.options.help) return EXIT_OK;
  const code = await cli.runMatchedCommand();
  return typeof code === "number" ? code : EXIT_OK;
}

/** Prints what ended the command (one line; the stack only with -v or for a bug) and returns its exit code. */
export function reportError(err: unknown, verbose: boolean): number {
  if (err instanceof ExitError) return exitCodeOfError(err);
  if (err instanceof Error && err.name === "CACError") {
    process.stderr.write(`error: ${err.message} (see --help)\n`);
    return EXIT_FAILURE;
  }
  if (err instanceof UserError || err instanceof DockerUnreachableError || err instanceof DockerApiError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
    return exitCodeOfError(err);
  }
  const e = err instanceof Error ? err : new InternalError(String(err));
  process.stderr.write(`internal error (a bug in deployster): ${e.message}\n${e.stack ?? ""}\n`);
  return exitCodeOfError(e);
}
