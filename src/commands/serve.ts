import { resolveServeConfig, type ServeOptions } from "../server/config";
import { startServer } from "../server/server";
import { onShutdown } from "../shutdown";

/**
 * `deployster serve`: runs until SIGTERM/SIGINT, then stops gracefully (no new requests,
 * tasks killed and removed, rollouts at a safe point; they resume on the next start) and
 * exits 0.
 */
export async function runServeCommand(options: ServeOptions): Promise<number> {
  const config = resolveServeConfig(options, process.env);
  const server = await startServer(config);
  return new Promise<number>((resolve) => {
    onShutdown(async () => {
      await server.stop();
      resolve(0);
      return 0;
    });
  });
}
