import { DockerClient } from "../docker/client";
import { DockerUnreachableError } from "../docker/errors";
import { UserError } from "../errors";
import { VERSION } from "../version";
import { EXIT_OK } from "../exit-codes";

export interface VersionOptions {
  env?: Record<string, string | undefined>;
  write?: (line: string) => void;
}

/** Prints the client version and the engine's version and API version (negotiated). */
export async function runVersionCommand(opts: VersionOptions = {}): Promise<number> {
  const write = opts.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  write(`deployster ${VERSION}`);
  let docker: DockerClient;
  try {
    docker = DockerClient.fromEnv(opts.env ?? process.env);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  try {
    const api = await docker.apiVersion();
    const v = await docker.json<{ Version: string; ApiVersion: string; Os: string; Arch: string }>("GET", "/version");
    write(`engine  ${v.Version} (API ${v.ApiVersion}, speaking ${api}) ${v.Os}/${v.Arch} at ${docker.target}`);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof DockerUnreachableError) throw new UserError(err.message, 1, { cause: err });
    throw err;
  }
}
