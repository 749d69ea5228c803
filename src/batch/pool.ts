/**
 * A pool of N workers over a list of jobs, in order. Each worker takes the next job when it is
 * done with its last, until the list is empty or {@link PoolControl.stopping} is set (then the
 * jobs already started finish, and no other starts). A job that throws stops the pool the same
 * way; the first such error is thrown once the running jobs have ended.
 */

/** What decides whether the pool starts more jobs. */
export interface PoolControl {
  readonly stopping: boolean;
}

/** The most concurrent jobs one pool runs. */
export const MAX_CONCURRENCY = 256;

/** Runs `work` over `jobs`, `concurrency` at a time; resolves when every started job has ended. */
export async function runPool<T>(
  jobs: readonly T[],
  concurrency: number,
  work: (job: T) => Promise<void>,
  control: PoolControl,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < jobs.length && !control.stopping && !failure) {
      const job = jobs[next++]!;
      try {
        await work(job);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const n = Math.max(1, Math.min(concurrency, jobs.length, MAX_CONCURRENCY));
  await Promise.all(Array.from({ length: n }, worker));
  if (failure) throw failure.error;
}
