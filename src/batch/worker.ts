/**
 * `berth worker`: takes case jobs from the queue, N at a time, and runs each through the same job
 * code as the embedded pool ({@link runJob}: the harness, a staging folder, commit, completed
 * marker last), into the output store the job names. It takes jobs from the queue of its own
 * machine identity only (see queue.ts); a job there of another identity (written into Redis by
 * something else than `berth batch`) fails, as a job whose data is not a berth case job does.
 *
 * Delivery is at least once: a job whose worker died (or stalled) is handed out again. A job
 * whose case already has its completed marker is therefore a no-op that returns the marker, and a
 * case's first committed result stands (a stale run that finishes later commits nothing).
 *
 * The lock: BullMQ renews each running job's lock from this process's event loop (every quarter
 * of `lockDuration` it renews those renewed more than a quarter ago, so about every half). The
 * machine runs in its own process group, so the loop stays free however long it runs; berth's own
 * steps here (materialising the case, comparing outputs, writing reports) hold the loop only for
 * their CPU time. Only this process paused (a stopped or swapping host) or busy for more than half
 * the lock may lose it — the job is then delivered again, and the first commit wins.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { isBerthError } from '../errors.js';
import type { Launched } from '../harness/drivers/driver.js';
import type { CaseRecord } from './job.js';
import {
  connectionOf,
  identityMismatch,
  parseCaseJob,
  queueNameOf,
  type LockSettings,
  type MachineIdentity,
} from './queue.js';
import { runJob, type BatchRunSettings, type JobControl } from './run-job.js';
import { storageAt } from './open-storage.js';

/** What a worker needs. */
export interface WorkerOptions {
  queue: string;
  concurrency: number;
  identity: MachineIdentity;
  settings: BatchRunSettings;
  lock: LockSettings;
  /** Told of each job's end, in one line. */
  log: (line: string) => void;
}

/** The running worker. */
export interface RunningWorker {
  /** Takes no other job, lets the running ones finish (or, `kill`, stops their machines first). */
  close(kill?: boolean): Promise<void>;
}

/** The machines of the running jobs, so a closing worker can stop them. */
class Machines implements JobControl {
  killing = false;
  readonly running = new Map<string, Launched>();
  launched(id: string, launched: Launched): void {
    this.running.set(id, launched);
    if (this.killing) void launched.stop(0);
  }
}

/** A stable error code on the failed job's reason (`BERTH_E_X: message`). */
function unrecoverable(code: string, message: string): UnrecoverableError {
  return new UnrecoverableError(`${code}: ${message}`);
}

/** Runs one job; returns the case's record (the existing one when it had already finished). */
async function processJob(job: Job, options: WorkerOptions, machines: Machines): Promise<CaseRecord> {
  const data = parseCaseJob(job.data);
  if (!data) throw unrecoverable('BERTH_E_QUEUE_JOB', `job ${job.id ?? '?'} is not a berth case job`);
  const mismatch = identityMismatch(data.identity, options.identity);
  if (mismatch) {
    throw unrecoverable('BERTH_E_QUEUE_MACHINE', `case ${data.id} of batch ${data.batch} wants ${mismatch}`);
  }
  let storage;
  try {
    storage = storageAt(data.out);
  } catch (e) {
    throw unrecoverable('BERTH_E_QUEUE_JOB', `job ${job.id ?? '?'}: ${(e as Error).message}`);
  }
  const done = await storage.completed(data.id);
  if (done) return done;
  const settings: BatchRunSettings = {
    ...options.settings,
    ...(data.timeoutMs !== undefined ? { timeoutMs: data.timeoutMs } : {}),
  };
  let record: CaseRecord | undefined;
  try {
    record = await runJob({ id: data.id, path: data.case }, settings, storage, machines, {
      deliveries: job.attemptsStarted,
    });
  } finally {
    machines.running.delete(data.id);
  }
  // Only when the worker is being killed: the job fails here and is delivered again.
  if (!record) throw new Error(`case ${data.id} was stopped with its worker; the queue delivers it again`);
  return record;
}

/** How long a closing worker waits for BullMQ once no job runs (BullMQ waits for a lost Redis forever). */
export const CLOSE_GRACE_MS = 5_000;

/** How long the same error line is not repeated (a lost Redis fails every reconnection). */
export const ERROR_REPEAT_MS = 60_000;

/** Resolves after `ms`, without keeping the process alive for it. */
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** `log` for error lines, each distinct one at most once per {@link ERROR_REPEAT_MS}. */
function errorLog(log: (line: string) => void): (error: Error) => void {
  const last = new Map<string, number>();
  return (error) => {
    const now = Date.now();
    if (now - (last.get(error.message) ?? -Infinity) < ERROR_REPEAT_MS) return;
    if (last.size >= 100) last.clear();
    last.set(error.message, now);
    log(`error ${error.message}`);
  };
}

/** Starts a worker; it runs until closed. */
export function startWorker(options: WorkerOptions): RunningWorker {
  const machines = new Machines();
  let active = 0;
  const processor = async (job: Job): Promise<CaseRecord> => {
    active++;
    try {
      return await processJob(job, options, machines);
    } catch (e) {
      // The job's failed reason starts with berth's code, as the unrecoverable ones do (retried).
      if (isBerthError(e)) throw new Error(`${e.code}: ${e.message}`);
      throw e;
    } finally {
      active--;
    }
  };
  const worker = new Worker(queueNameOf(options.identity), processor, {
    connection: connectionOf(options.queue),
    concurrency: options.concurrency,
    lockDuration: options.lock.lockDuration,
    stalledInterval: options.lock.stalledInterval,
    maxStalledCount: options.lock.maxStalledCount,
    autorun: true,
  });
  worker.on('completed', (job, record: CaseRecord) => {
    options.log(`done  ${record.id}: ${record.outcome} (delivery ${job.attemptsStarted})`);
  });
  worker.on('failed', (job, error) => {
    options.log(`fail  ${job?.id ?? '?'}: ${error.message}`);
  });
  worker.on('error', errorLog(options.log));
  return {
    async close(kill = false) {
      if (kill) {
        machines.killing = true;
        for (const m of machines.running.values()) void m.stop(0);
      }
      const idle = async (): Promise<void> => {
        while (active > 0) await pause(100);
        await pause(CLOSE_GRACE_MS);
      };
      await Promise.race([worker.close(kill), idle()]);
    },
  };
}
