/** GET .../config: the configuration a version gets now, as names and digests (never values). */
import { describeConfig } from "../config-dir";
import type { ServerContext } from "../context";
import { jsonResponse } from "../http";

export function showConfig(server: ServerContext, service: string, version?: string): Response {
  if (!server.configDir) {
    return jsonResponse(200, { config: { service, version: version ?? null, configured: false, digest: null, variables: [], secrets: [] } });
  }
  // Without a version only the service-wide files apply; a file that does not parse is a 400 (file:line).
  const c = server.configDir.load(service, version ?? "", { serviceWide: version === undefined });
  return jsonResponse(200, { config: { ...describeConfig(c), version: version ?? null, configured: true } });
}
