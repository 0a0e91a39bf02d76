/**
 * Recent tasks (GET /v1/tasks and the status page): a bounded, in-memory list of the last
 * tasks this server ran, with their exit codes. Not rebuilt after a restart: task containers
 * are removed once they exit, so the engine keeps nothing to rebuild it from.
 */
import type { TaskRecord } from "../api/v1";


const MAX_TASKS = 50;

export class TaskLog {
  private items: TaskRecord[] = [];

  constructor(private readonly onChange?: (task: TaskRecord) => void) {}

  /** Newest first. */
  list(): TaskRecord[] {
    return [...this.items].reverse();
  }

  start(o: { service: string; version: string; command: string | string[]; container: string }): TaskRecord {
    const command = Array.isArray(o.command) ? o.command.join(" ") : o.command;
    const task: TaskRecord = {
      service: o.service,
      version: o.version,
      command: command.length > 200 ? `${command.slice(0, 199)}…` : command,
      container: o.container,
      state: "running",
      exit_code: null,
      reason: null,
      started_at: new Date().toISOString(),
      finished_at: null,
    };
    this.items.push(task);
    if (this.items.length > MAX_TASKS) this.items.splice(0, this.items.length - MAX_TASKS);
    this.onChange?.(task);
    return task;
  }

  /** Records the end: an exit code, or (code null) a failure to run with its reason. */
  finish(task: TaskRecord, exitCode: number | null, reason?: string): void {
    task.state = exitCode === null ? "failed" : "exited";
    task.exit_code = exitCode;
    task.reason = reason ? reason.slice(0, 300) : null;
    task.finished_at = new Date().toISOString();
    this.onChange?.(task);
  }
}
