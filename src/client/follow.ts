/**
 * Following a deploy until it ends (`deploy --wait`, `rollback --wait`): poll the deploy's
 * status once a second until its state is terminal, the time budget is spent, or the
 * server keeps saying it doesn't know the deploy. The poll itself is injected (the HTTP
 * part lives in the command), so this loop is tested with scripted answers.
 */
import { TERMINAL_DEPLOY_STATES } from "../api/v1";
import type { DeployView } from "./deploys";

export type FollowPoll =
  | { kind: "record"; view: DeployView }
  | { kind: "not-found" }
  /** Server unreachable for a moment (a restart mid-rollout is survivable: spec 6.6). */
  | { kind: "unreachable"; message: string };

export type FollowResult =
  | { outcome: "terminal"; view: DeployView }
  | { outcome: "timeout"; view?: DeployView }
  | { outcome: "not-found" }
  | { outcome: "unreachable"; message: string };

export interface FollowOptions {
  poll: () => Promise<FollowPoll>;
  onProgress?: (view: DeployView, elapsedMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  intervalMs?: number;
  timeoutMs: number;
  /** A deploy the server doesn't know yet may appear a moment later; this long, no more. */
  notFoundGraceMs?: number;
  /** How long the server may stay unreachable before we give up. */
  unreachableGraceMs?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function followDeploy(options: FollowOptions): Promise<FollowResult> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 1000;
  const start = now();
  let last: DeployView | undefined;
  let notFoundSince: number | undefined;
  let unreachableSince: number | undefined;
  for (;;) {
    const answer = await options.poll();
    const t = now();
    if (answer.kind === "record") {
      notFoundSince = unreachableSince = undefined;
      last = answer.view;
      options.onProgress?.(answer.view, t - start);
      if (TERMINAL_DEPLOY_STATES.has(answer.view.state)) return { outcome: "terminal", view: answer.view };
    } else if (answer.kind === "not-found") {
      unreachableSince = undefined;
      notFoundSince ??= t;
      if (t - notFoundSince >= (options.notFoundGraceMs ?? 30_000)) return { outcome: "not-found" };
    } else {
      unreachableSince ??= t;
      if (t - unreachableSince >= (options.unreachableGraceMs ?? 30_000)) return { outcome: "unreachable", message: answer.message };
    }
    if (t - start >= options.timeoutMs) return last ? { outcome: "timeout", view: last } : { outcome: "timeout" };
    await sleep(Math.min(interval, Math.max(0, options.timeoutMs - (t - start))));
  }
}
