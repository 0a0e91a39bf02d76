import { UserError } from "../../errors";

// Placeholder until the ctl issue lands: says so and fails, never pretends to succeed.
export async function runCtl(_args: string[], _opts: { env: Record<string, string | undefined> }): Promise<number> {
  throw new UserError("deployster ctl: not implemented yet");
}
