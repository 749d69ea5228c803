/**
 * `berth batch --queue`: enqueue one job per case (cases already marked complete are skipped on
 * `--resume`), follow the jobs until each has completed or failed, then build the same aggregate
 * as the embedded mode from the completed markers in the output store. The jobs go to the queue
 * of the machine's identity (see queue.ts); `status`, `retry-failed` and `report` are in
 * queue-admin.ts. Redis failing mid-run stops following with BERTH_E_QUEUE_UNREACHABLE, after
 * the report of what has finished is written (the jobs stay queued; `--resume` follows again).
 */
import type { Queue } from 'bullmq';
import { buildBatchReport, type BatchReport } from './aggregate.js';
import { finishedBefore, resumePlan, writeBatchReport } from './batch.js';
import type { CaseRef } from './cases.js';
import type { CaseRecord } from './job.js';
import type { Progress } from './progress.js';
import {
  batchIdOf,
  JOB_ATTEMPTS,
  JOB_BACKOFF_MS,
  jobIdOf,
  queueNameOf,
  type CaseJob,
  type MachineIdentity,
} from './queue.js';
import { openQueue, queueFailure } from './queue-connect.js';
import type { Storage } from './storage.js';

/** Jobs added per Redis round trip, and job states asked per poll. */
const ADD_CHUNK = 1000;
const POLL_CHUNK = 1000;

/** What the batch report says of the machine and how it ran. */
export interface QueueReportMeta {
  machine: { name: string; manifest: string };
  image?: string;
}

/** Everything a queued batch needs. */
export interface QueueBatchOptions {
  queue: string;
  cases: readonly CaseRef[];
  storage: Storage;
  identity: MachineIdentity;
  meta: QueueReportMeta;
  timeoutMs?: number;
  resume: boolean;
  progress: Progress;
  /** Set to stop following (the jobs stay queued; the report is written with what is done). */
  stop: { stopping: boolean };
  pollMs?: number;
}

/** What a queued batch ended with. */
export interface QueueBatchResult {
  batch: string;
  report: BatchReport;
  /** Jobs that failed in the queue (not a case outcome: berth could not finish the job). */
  failedJobs: { id: string; reason: string }[];
}

/** The driver named in a queued batch's report: the queue, without credentials. */
function queueDriver(url: string): string {
  const u = new URL(url);
  return `queue ${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}

/** Writes batch.json and batch.html from the markers in the store. */
export async function writeReport(
  storage: Storage,
  cases: readonly CaseRef[],
  meta: QueueReportMeta,
  queue: string,
  startedAt: Date,
): Promise<BatchReport> {
  const records = await finishedBefore(cases, storage);
  const report = buildBatchReport(
    {
      machine: meta.machine,
      driver: queueDriver(queue),
      ...(meta.image ? { image: meta.image } : {}),
      concurrency: 1,
      startedAt,
      interrupted: records.size < cases.length,
    },
    cases,
    records,
  );
  await writeBatchReport(storage, report);
  return report;
}

/** Adds one job per case; a job id already in the queue is left as it is (idempotent). */
async function enqueue(
  queue: Queue,
  batch: string,
  todo: readonly CaseRef[],
  o: QueueBatchOptions,
): Promise<void> {
  for (let i = 0; i < todo.length; i += ADD_CHUNK) {
    await queue.addBulk(
      todo.slice(i, i + ADD_CHUNK).map((c) => {
        const data: CaseJob & { machine: QueueReportMeta['machine'] } = {
          v: 1,
          batch,
          id: c.id,
          case: c.path,
          out: o.storage.location,
          identity: o.identity,
          machine: o.meta.machine,
          ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
        };
        return {
          name: 'case',
          data,
          opts: {
            jobId: jobIdOf(batch, c.id),
            attempts: JOB_ATTEMPTS,
            backoff: { type: 'exponential', delay: JOB_BACKOFF_MS },
          },
        };
      }),
    );
  }
}

/** How often (in polls) the follower asks whether any worker takes the queue's jobs. */
const WORKER_CHECK_POLLS = 20;

/**
 * Says once, when nothing runs and no worker listens on the queue of this machine identity, that
 * the jobs wait for one (a worker of another manifest, image or command takes another queue).
 */
function workerWatch(queue: Queue, o: QueueBatchOptions): (anyRunning: boolean) => Promise<void> {
  let polls = 0;
  let told = false;
  return async (anyRunning) => {
    if (told || anyRunning || ++polls % WORKER_CHECK_POLLS !== 0) return;
    // CLIENT LIST may be refused by a managed Redis: then nothing is said.
    const workers = await queue.getWorkersCount().catch(() => undefined);
    if (workers !== 0) return;
    told = true;
    o.progress.note(
      `no berth worker takes the jobs of this machine (queue ${queue.name}): start \`berth worker\` ` +
        'with the same manifest, --image and --cmd as this batch',
    );
  };
}

/** Polls the jobs' states until each has completed or failed (or following is stopped). */
async function follow(queue: Queue, batch: string, todo: readonly CaseRef[], o: QueueBatchOptions) {
  const open = new Map(todo.map((c) => [c.id, jobIdOf(batch, c.id)]));
  const running = new Set<string>();
  const failedJobs: QueueBatchResult['failedJobs'] = [];
  const watch = workerWatch(queue, o);
  while (open.size > 0 && !o.stop.stopping) {
    const ids = [...open].slice(0, POLL_CHUNK);
    const states = await Promise.all(ids.map(([, jobId]) => queue.getJobState(jobId)));
    for (let i = 0; i < ids.length; i++) {
      const [caseId, jobId] = ids[i]!;
      const state = states[i]!;
      if (state === 'active' && !running.has(caseId)) {
        running.add(caseId);
        o.progress.began(caseId);
      }
      // `unknown`: the job is gone from Redis (removed, obliterated, evicted) and never ends.
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
      open.delete(caseId);
      const record: CaseRecord | undefined =
        state === 'completed' ? await o.storage.completed(caseId) : undefined;
      if (record) {
        if (!running.has(caseId)) o.progress.began(caseId);
        o.progress.ended(record, caseId);
      } else {
        // Not a case outcome (the case stays pending in the report): a line of its own.
        const reason =
          state === 'failed'
            ? ((await queue.getJob(jobId))?.failedReason ?? 'failed')
            : state === 'unknown'
              ? 'the job is no longer in the queue (removed from Redis); --resume enqueues it again'
              : 'completed without its completed marker (was --out changed?)';
        failedJobs.push({ id: caseId, reason });
        o.progress.note(`FAIL  ${caseId}: the queue job failed — ${reason}`);
      }
      running.delete(caseId);
    }
    await watch(running.size > 0);
    if (open.size > 0) await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
  }
  return { failedJobs, done: open.size === 0 };
}

/** Enqueues the batch, follows it, writes the report. */
export async function runQueuedBatch(o: QueueBatchOptions): Promise<QueueBatchResult> {
  const startedAt = new Date();
  const batch = batchIdOf(o.storage.location);
  const { records, todo, failedBefore } = await resumePlan(o.cases, o.storage, o.resume);
  const queue = await openQueue(o.queue, queueNameOf(o.identity), batch);
  try {
    let followed: Awaited<ReturnType<typeof follow>> = { failedJobs: [], done: false };
    let failure: unknown;
    try {
      await enqueue(queue, batch, todo, o);
      o.progress.note(`batch ${batch}: ${todo.length} job(s) in queue ${queue.name}; following them`);
      o.progress.start(o.cases.length, records.size, failedBefore);
      followed = await follow(queue, batch, todo, o);
    } catch (e) {
      failure = e;
    }
    o.progress.finish();
    // Every job has ended: what killed workers left in the store can go (never while jobs run).
    if (followed.done) await o.storage.sweep();
    const report = await writeReport(o.storage, o.cases, o.meta, o.queue, startedAt);
    if (failure !== undefined) throw queueFailure(o.queue, failure);
    return { batch, report, failedJobs: followed.failedJobs };
  } finally {
    await queue.close().catch(() => {});
  }
}
