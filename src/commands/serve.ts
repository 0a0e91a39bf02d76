import { ExitError, UserError } from "../errors";
import { resolveServeConfig, type ServeOptions } from "../server/config";
import { startServer } from "../server/server";
import { onShutdown } from "../shutdown";
import { createServeLog, parseLogFormat } from "./serve-log";

/**
 * `deployster serve`: runs until SIGTERM/SIGINT, then stops gracefully (no new requests,
 * tasks killed and removed, rollouts at a safe point; they resume on the next start) and
 * exits 0. `--log-format json` makes every line it prints one JSON object, start-up
 * failures included.
 */
export async function runServeCommand(options: ServeOptions & { logFormat?: string }): Promise<number> {
  const format = parseLogFormat(options.logFormat);
  const config = resolveServeConfig(options, process.env);
  const { logger, print, error } = createServeLog({ format, verbose: config.verbose });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, { logger, print });
  } catch (err) {
    if (format !== "json" || !(err instanceof UserError)) throw err;
    error(err.message);
    throw new ExitError(err.exitCode);
  }
  return new Promise<number>((resolve) => {
    onShutdown(async () => {
      await server.stop();
      resolve(0);
      return 0;
    });
  });
}
