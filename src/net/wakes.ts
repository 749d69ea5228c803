/**
 * Timers armed for moments known in advance — the end of a group's idle window — one per key: the
 * node looks at a group the moment its window ends, not at its next periodic look.
 */
export class Wakes {
  private readonly armed = new Map<string, { at: number; timer: NodeJS.Timeout }>();

  constructor(private readonly wake: () => void) {}

  /** Calls `wake` at `at` (ms since the epoch) for `key`, in place of the moment armed before. */
  arm(key: string, at: number): void {
    const armed = this.armed.get(key);
    if (armed?.at === at) return;
    if (armed) clearTimeout(armed.timer);
    const timer = setTimeout(
      () => {
        if (this.armed.get(key)?.timer === timer) this.armed.delete(key);
        this.wake();
      },
      Math.max(0, at - Date.now()),
    );
    this.armed.set(key, { at, timer });
  }

  /** Disarms them all. */
  clear(): void {
    for (const a of this.armed.values()) clearTimeout(a.timer);
    this.armed.clear();
  }
}
