/** Reading a JSON answer; a non-JSON 2xx is the server's fault and says so in one line. */
import { UserError } from "../../errors";
import type { CtlContext } from "./io";

export async function readJsonBody(ctl: CtlContext, res: Response, what: string): Promise<unknown> {
  const body = await res.text();
  try {
    return JSON.parse(body);
  } catch {
    const sample = body.length > 200 ? `${body.slice(0, 200)}...` : body;
    throw new UserError(`unexpected answer from ${ctl.client.origin} for ${what}: not JSON: ${JSON.stringify(sample)}`);
  }
}

export function formatJson(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
