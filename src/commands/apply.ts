import { UserError } from "../errors";

// Placeholder until its issue lands: says so and fails, never pretends to succeed.
export async function runApplyCommand(..._args: unknown[]): Promise<number> {
  throw new UserError("deployster apply: not implemented yet");
}
