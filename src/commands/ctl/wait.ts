/**
 * `--wait` for deploy and rollback: follow the deploy's status until it is live (exit 0) or
 * failed / rolled back / destroyed (exit 1, with the reason and the failing instance's last
 * log lines). Progress: one self-updating line on a TTY, a plain line per change otherwise.
 */
import { UserError } from "../../errors";
import { ConnectionError } from "../../client/transport";
import { formatStatus } from "../../client/status-text";
import { type FollowPoll, type FollowResult, followDeploy } from "../../client/follow";
import { type DeployView, countReady, describeDeploy, failureLogs, readDeployResponse, summarizeProgress } from "../../client/deploys";
import { type CtlContext, type CtlWriter, writeLine } from "./io";
import { readJsonBody } from "./json";
import { EXIT_FAILURE, EXIT_OK } from "../../exit-codes";

export interface WaitTarget {
  service: string;
  /** Known for deploy; for rollback only the Location tells. */
  version?: string;
  timestamp?: string;
  /** The 201's Location header, preferred when present. */
  location?: string;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return [h ? `${h}h` : "", m ? `${m}m` : "", sec || (!h && !m) ? `${sec}s` : ""].join("");
}

/** Progress on a TTY (one line rewritten in place) or as plain lines (one per change). */
export class ProgressPrinter {
  private lastPlain = "";
  private drawn = false;
  constructor(private readonly out: CtlWriter, private readonly label: string) {}

  update(view: DeployView, elapsedMs: number): void {
    const line = `${describeDeploy(view, this.label)}: ${summarizeProgress(view)}`;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[K${line} (${formatDuration(elapsedMs)})`);
      this.drawn = true;
    } else if (line !== this.lastPlain) {
      writeLine(this.out, line);
      this.lastPlain = line;
    }
  }

  /** Clears the TTY line before the final message. */
  finish(): void {
    if (this.drawn) this.out.write("\r\x1b[K");
    this.drawn = false;
  }
}

async function pollOnce(ctx: CtlContext, target: WaitTarget): Promise<FollowPoll> {
  let res: Response;
  try {
    const viaLocation = target.location ? ctx.client.getLocation(target.location) : undefined;
    if (viaLocation) res = await viaLocation;
    else if (target.version) res = await ctx.client.getDeploy(target.service, target.version, target.timestamp);
    else throw new UserError(`cannot follow the deploy of ${target.service}: the server named no deploy to follow`);
  } catch (err) {
    if (err instanceof ConnectionError) return { kind: "unreachable", message: err.message };
    throw err;
  }
  if (res.status === 200) {
    const doc = await readJsonBody(ctx, res, "the deploy's status");
    const view = readDeployResponse(doc);
    if (!view) throw new UserError(`unexpected answer from ${ctx.client.origin} for the deploy's status: ${JSON.stringify(doc).slice(0, 200)}`);
    return { kind: "record", view };
  }
  const body = await res.text().catch(() => "");
  if (res.status === 404) return { kind: "not-found" };
  if (res.status === 401) throw ctx.client.credentialsRefused();
  if (res.status === 502 || res.status === 503 || res.status === 504)
    return { kind: "unreachable", message: `${formatStatus(res.status, res.statusText)} ${body}`.trim() };
  throw new UserError(`asking for the deploy's status failed: ${formatStatus(res.status, res.statusText)}: ${body.trim()}`);
}

/** Follows the deploy; prints progress and the outcome; returns the exit code. */
export async function waitForDeploy(ctx: CtlContext, target: WaitTarget, timeoutMs: number): Promise<number> {
  const label = target.version ? `${target.service} ${target.version}` : target.service;
  const progress = new ProgressPrinter(ctx.stdout, target.service);
  let result: FollowResult;
  try {
    result = await followDeploy({
      poll: () => pollOnce(ctx, target),
      onProgress: (view, elapsed) => progress.update(view, elapsed),
      timeoutMs,
      ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
      ...(ctx.now ? { now: ctx.now } : {}),
    });
  } finally {
    progress.finish();
  }
  switch (result.outcome) {
    case "not-found":
      throw new UserError(`deployster at ${ctx.client.origin} does not know the deploy of ${label} (404 Not Found)`);
    case "unreachable":
      throw new UserError(`lost the server while waiting for ${label}: ${result.message}`);
    case "timeout": {
      const where = result.view ? `${describeDeploy(result.view, target.service)} is still ${summarizeProgress(result.view)}` : `${label} never showed up`;
      throw new UserError(`gave up waiting after ${formatDuration(timeoutMs)}: ${where}`);
    }
    case "terminal":
      return reportOutcome(ctx.stdout, result.view, target.service);
  }
}

/** The final lines of a followed deploy; 0 only when live. */
export function reportOutcome(out: CtlWriter, view: DeployView, service: string): number {
  const who = describeDeploy(view, service);
  const reason = view.reason ? `: ${view.reason}` : "";
  switch (view.state) {
    case "live": {
      const { ready, total } = countReady(view);
      writeLine(out, `Deploy live: ${who}${total > 0 ? `, ${ready}/${total} instance${total === 1 ? "" : "s"} ready` : ""}`);
      return EXIT_OK;
    }
    case "rolled_back":
      writeLine(out, `Deploy rolled back: ${who}${reason}`);
      break;
    case "destroyed":
      writeLine(out, `Deploy destroyed before it went live: ${who}${reason}`);
      break;
    default:
      writeLine(out, `Deploy failed: ${who}${reason}`);
  }
  for (const block of failureLogs(view)) {
    writeLine(out, block.instance ? `-- Last log lines of instance ${block.instance}:` : "-- Last log lines:");
    for (const line of block.lines) writeLine(out, `   ${line}`);
  }
  return EXIT_FAILURE;
}
