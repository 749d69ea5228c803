/**
 * A bounded wait: machine-written state read after the machine ended must never hold a run
 * (and its gateway slot and run folder) for ever, whatever the machine left behind.
 */

/** What {@link withDeadline} answers when the deadline passed first. */
export const DEADLINE_PASSED: unique symbol = Symbol('deadline passed');

/**
 * Waits for `work` at most `ms` milliseconds. Answers its value, or {@link DEADLINE_PASSED} when
 * the deadline came first (the work goes on in the background; a late failure is swallowed, so
 * it cannot become an unhandled rejection). A failure before the deadline is thrown on.
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | typeof DEADLINE_PASSED> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof DEADLINE_PASSED>((resolve) => {
    timer = setTimeout(() => resolve(DEADLINE_PASSED), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
