import { ExitError, UserError } from "../errors";
import { resolveServeConfig, type ServeOptions } from "../server/config";
import { startServer } from "../server/server";
import { EXIT_OK } from "../exit-codes";
import { Shutdown, type ShutdownScope } from "../shutdown";
import { createServeLog, parseLogFormat } from "./serve-log";

/**
 * `deployster serve`: runs until SIGTERM/SIGINT, then stops gracefully (no new requests,
 * tasks killed and removed, rollouts at a safe point; they resume on the next start) and
 * exits 0. `--log-format json` makes every line it prints one JSON object, start-up
 * failures included.
 */
export async function runServeCommand(options: ServeOptions & { logFormat?: string; shutdown?: ShutdownScope }): Promise<number> {
  const shutdown = options.shutdown ?? new Shutdown();
  const format = parseLogFormat(options.logFormat);
  const config = resolveServeConfig(options, process.env);
  const { logger, print, error } = createServeLog({ format, verbose: config.verbose });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, { logger, print, signal: shutdown.signal });
  } catch (err) {
    if (format !== "json" || !(err instanceof UserError)) throw err;
    error(err.message);
    throw new ExitError(err.exitCode);
  }
  return new Promise<number>((resolve) => {
    shutdown.onShutdown(async () => {
      await server.stop();
      resolve(EXIT_OK);
      return EXIT_OK;
    });
  });
}
