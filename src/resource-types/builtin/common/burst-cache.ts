/**
 * Shares identical read-only engine queries made within a short window, e.g. the one image
 * inspect that 50 containers of the same image would each make in a plan. Any action of a
 * built-in type clears it (before and after), so a state query after an action always sees
 * the engine afresh; outside changes within the window are the same race as ever.
 */
export class BurstCache {
  private readonly entries = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(
    private readonly ttlMs = 500,
    private readonly now: () => number = Date.now,
  ) {}

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value as Promise<T>;
    const value = load();
    const entry = { at: this.now(), value };
    this.entries.set(key, entry);
    // A failed query is not remembered.
    value.catch(() => this.entries.get(key) === entry && this.entries.delete(key));
    return value;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Runs an effectful step with the cache cleared before and after it. */
  async around<T>(fn: () => Promise<T>): Promise<T> {
    this.clear();
    try {
      return await fn();
    } finally {
      this.clear();
    }
  }
}
