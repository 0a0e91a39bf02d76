/** Per-key serialization: `run(key, fn)` runs fn after every earlier fn of the same key settled. */
export class KeyedMutex {
  private tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/** Try-locks: one holder per key, no waiting (a busy service answers 409). */
export class ServiceLocks {
  private held = new Map<string, string>();
  private waiters = new Map<string, (() => void)[]>();

  tryAcquire(key: string, holder: string): boolean {
    if (this.held.has(key)) return false;
    this.held.set(key, holder);
    return true;
  }

  release(key: string): void {
    this.held.delete(key);
    const ws = this.waiters.get(key) ?? [];
    this.waiters.delete(key);
    for (const w of ws) w();
  }

  /** Acquires the key, waiting at most `ms` for its holder to release it; false when it could not. */
  async acquireWithin(key: string, holder: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.tryAcquire(key, holder)) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.set(key, [...(this.waiters.get(key) ?? []), resolve])),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, left))),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  holder(key: string): string | undefined {
    return this.held.get(key);
  }

  isHeld(key: string): boolean {
    return this.held.has(key);
  }
}
