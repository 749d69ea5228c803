/**
 * Timers for any delay berth accepts. Node's `setTimeout` holds at most 2³¹ − 1 ms (24.8 days):
 * a longer delay fires after 1 ms (with a warning), so a 30-day timeout would stop every machine
 * at once. These chain ordinary timers instead.
 */

/** The longest delay one Node timer holds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A started timer; `clear()` cancels it (harmless after it fired). */
export interface LongTimer {
  clear(): void;
}

/** Calls `fn` once after `ms` milliseconds, however long that is (∞ or NaN: never). */
export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  let timer: NodeJS.Timeout | undefined;
  let cleared = false;
  const deadline = Date.now() + ms;
  const arm = (left: number) => {
    if (cleared || !(left < Infinity)) return;
    timer = setTimeout(
      () => {
        const rest = deadline - Date.now();
        if (rest > 0 && left > MAX_TIMER_MS) arm(rest);
        else fn();
      },
      Math.max(0, Math.min(left, MAX_TIMER_MS)),
    );
  };
  arm(ms);
  return {
    clear() {
      cleared = true;
      if (timer) clearTimeout(timer);
    },
  };
}
