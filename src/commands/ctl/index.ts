/**
 * `deployster ctl ...` and `deployctl ...`: a deployctl-compatible client whose exit codes
 * tell the truth (src/commands/ctl/CTL.md). Never exits: returns the code.
 *
 * Exit codes (all decided in src/exit-codes.ts): 0 success; 1 failure (HTTP error, refused
 * credentials, connection problems, a failed --wait); 2 usage errors; `run` exits with the
 * task's own code.
 */
import { basename } from "node:path";
import { UserError } from "../../errors";
import { VERSION } from "../../version";
import { DeploysterClient, parseBaseUrl } from "../../client/client";
import { loadCaCert } from "../../client/transport";
import { type CtlInvocation, type GlobalOptions, parseCtlArgs } from "./args";
import { type CtlContext, type CtlWriter, StreamWriter, writeLine } from "./io";
import { formatUsage } from "./usage";
import { runDeploy } from "./deploy";
import { runDestroy } from "./destroy";
import { runList } from "./list";
import { runRollback } from "./rollback";
import { runTask } from "./run";
import { runStatus } from "./status";
import { EXIT_CTL_USAGE, EXIT_OK, exitCodeOfError } from "../../exit-codes";

export interface RunCtlOptions {
  env: Record<string, string | undefined>;
  stdout?: CtlWriter;
  stderr?: CtlWriter;
  /** How usage texts name us; default from argv0 ("deployctl" or "deployster ctl"). */
  programName?: string;
  /** Poll pacing for --wait (tests). */
  sleep?: (ms: number) => Promise<void>;
}

function defaultProgramName(): string {
  return basename(process.argv0 ?? "") === "deployctl" ? "deployctl" : "deployster ctl";
}

export function createClient(global: GlobalOptions): DeploysterClient {
  const url = parseBaseUrl(global.url, global.sources.url === "default" ? "default URL" : global.sources.url);
  const extraCa = global.caCert !== undefined ? [loadCaCert(global.caCert, global.sources.caCert)] : undefined;
  return new DeploysterClient({ url, username: global.username, password: global.password, ...(extraCa ? { extraCa } : {}) });
}

function dispatch(ctx: CtlContext, inv: CtlInvocation): Promise<number> {
  switch (inv.command) {
    case "deploy":
      return runDeploy(ctx, inv);
    case "run":
      return runTask(ctx, inv);
    case "destroy":
      return runDestroy(ctx, inv);
    case "list":
      return runList(ctx, inv);
    case "status":
      return runStatus(ctx, inv);
    case "rollback":
      return runRollback(ctx, inv);
  }
}

export async function runCtl(args: string[], opts: RunCtlOptions): Promise<number> {
  const stdout = opts.stdout ?? new StreamWriter(process.stdout);
  const stderr = opts.stderr ?? new StreamWriter(process.stderr);
  const prog = opts.programName ?? defaultProgramName();
  const parsed = parseCtlArgs(args, opts.env);
  switch (parsed.kind) {
    case "help":
      stdout.write(formatUsage(prog, parsed.command));
      return EXIT_OK;
    case "version":
      writeLine(stdout, `${prog} version ${VERSION}`);
      return EXIT_OK;
    case "usage-error":
      // The original's "Error: Service required" line, then the usage (on stderr: it's an error).
      writeLine(stderr, `Error: ${parsed.message}`);
      writeLine(stderr);
      stderr.write(formatUsage(prog, parsed.command, true));
      return EXIT_CTL_USAGE;
  }
  try {
    const ctx: CtlContext = { client: createClient(parsed.global), stdout, stderr, ...(opts.sleep ? { sleep: opts.sleep } : {}) };
    return await dispatch(ctx, parsed.invocation);
  } catch (err) {
    if (err instanceof UserError) {
      writeLine(stderr, `Error: ${err.message}`);
      return exitCodeOfError(err);
    }
    throw err;
  }
}
