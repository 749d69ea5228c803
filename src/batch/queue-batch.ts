/**
 * `berth batch --queue`: enqueue one job per case (cases already marked complete are skipped on
 * `--resume`), follow the jobs until each has completed or failed, then build the same aggregate
 * as the embedded mode from the completed markers in the output store. Also the batch's
 * `status`, `retry-failed` and `report`, found in the queue by the batch id (from `--out`).
 */
import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { BerthError } from '../errors.js';
import { buildBatchReport, type BatchReport } from './aggregate.js';
import { finishedBefore } from './batch.js';
import type { CaseRef } from './cases.js';
import { BATCH_FILES, casePassed, type CaseRecord } from './job.js';
import type { Progress } from './progress.js';
import {
  batchIdOf,
  connectionOf,
  JOB_ATTEMPTS,
  JOB_BACKOFF_MS,
  jobIdOf,
  parseCaseJob,
  QUEUE_NAME,
  type CaseJob,
  type MachineIdentity,
} from './queue.js';
import { renderBatchHtml } from './report-html.js';
import { storageLocation } from './open-storage.js';
import type { Storage } from './storage.js';

/** How long `berth batch --queue` and its subcommands wait for Redis to answer at start. */
export const QUEUE_CONNECT_TIMEOUT_MS = 10_000;

/** Answers whether Redis at `url` takes a PING: one connection, no retries, a time limit. */
async function probe(url: string): Promise<Error | undefined> {
  const client = new Redis({
    ...(connectionOf(url) as RedisOptions),
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: QUEUE_CONNECT_TIMEOUT_MS,
  });
  let first: Error | undefined;
  client.on('error', (e: Error) => (first ??= e));
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (e) {
    // The connection's own error (ECONNREFUSED …) says more than the command's "closed".
    return first ?? (e instanceof Error ? e : new Error(String(e)));
  } finally {
    client.disconnect();
  }
}

/**
 * The queue, once Redis answers: a Redis that refuses or does not answer is
 * `BERTH_E_QUEUE_UNREACHABLE` rather than endless reconnecting; later, a command fails after two
 * tries instead of waiting forever (workers, unlike this side, wait for Redis to come back).
 */
async function openQueue(url: string): Promise<Queue> {
  const problem = await probe(url);
  if (problem) {
    const u = new URL(url);
    throw new BerthError(
      'BERTH_E_QUEUE_UNREACHABLE',
      `Redis at ${u.protocol}//${u.host} cannot be used: ${problem.message}`,
      {
        expected: 'a running Redis at the --queue URL, reachable from here',
      },
    );
  }
  const queue = new Queue(QUEUE_NAME, { connection: { ...connectionOf(url), maxRetriesPerRequest: 2 } });
  queue.on('error', () => {}); // a failed command rejects; the event adds nothing
  return queue;
}

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
async function writeReport(
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
  await storage.writeBatchFile(BATCH_FILES.json, JSON.stringify(report, null, 2) + '\n');
  await storage.writeBatchFile(BATCH_FILES.html, renderBatchHtml(report));
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

/** Polls the jobs' states until each has completed or failed (or following is stopped). */
async function follow(queue: Queue, batch: string, todo: readonly CaseRef[], o: QueueBatchOptions) {
  const open = new Map(todo.map((c) => [c.id, jobIdOf(batch, c.id)]));
  const running = new Set<string>();
  const failedJobs: QueueBatchResult['failedJobs'] = [];
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
      if (state !== 'completed' && state !== 'failed') continue;
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
            : 'completed without its completed marker (was --out changed?)';
        failedJobs.push({ id: caseId, reason });
        o.progress.note(`FAIL  ${caseId}: the queue job failed — ${reason}`);
      }
      running.delete(caseId);
    }
    if (open.size > 0) await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
  }
  return { failedJobs, done: open.size === 0 };
}

/** Enqueues the batch, follows it, writes the report. */
export async function runQueuedBatch(o: QueueBatchOptions): Promise<QueueBatchResult> {
  const startedAt = new Date();
  const batch = batchIdOf(o.storage.location);
  const records = await finishedBefore(o.cases, o.storage);
  if (records.size > 0 && !o.resume) {
    throw new BerthError(
      'BERTH_E_USAGE',
      `${o.storage.location} already holds ${records.size} finished case(s) of this batch`,
      { path: o.storage.location, expected: '--resume to go on with it, or an empty --out folder' },
    );
  }
  const todo = o.cases.filter((c) => !records.has(c.id));
  const failedBefore = [...records.values()].filter((r) => !casePassed(r)).length;
  const queue = await openQueue(o.queue);
  try {
    await enqueue(queue, batch, todo, o);
    o.progress.note(`batch ${batch}: ${todo.length} job(s) in the queue; following them`);
    o.progress.start(o.cases.length, records.size, failedBefore);
    const { failedJobs, done } = await follow(queue, batch, todo, o);
    o.progress.finish();
    // Every job has ended: what killed workers left in the store can go (never while jobs run).
    if (done) await o.storage.sweep();
    const report = await writeReport(o.storage, o.cases, o.meta, o.queue, startedAt);
    return { batch, report, failedJobs };
  } finally {
    await queue.close();
  }
}

/** The job ids of a batch in each state. */
export async function batchStatus(queueUrl: string, out: string): Promise<Record<string, number>> {
  const prefix = `${batchIdOf(storageLocation(out))}-`;
  const queue = await openQueue(queueUrl);
  try {
    const counts: Record<string, number> = {};
    for (const state of ['wait', 'active', 'delayed', 'completed', 'failed'] as const) {
      const ids = await queue.getRanges([state], 0, -1);
      counts[state] = ids.filter((id) => id.startsWith(prefix)).length;
    }
    return counts;
  } finally {
    await queue.close();
  }
}

/** Puts a batch's failed jobs back in the queue; returns how many. */
export async function retryFailed(queueUrl: string, out: string): Promise<number> {
  const prefix = `${batchIdOf(storageLocation(out))}-`;
  const queue = await openQueue(queueUrl);
  try {
    let n = 0;
    for (const id of await queue.getRanges(['failed'], 0, -1)) {
      if (!id.startsWith(prefix)) continue;
      const job = await queue.getJob(id);
      if (!job) continue;
      await job.retry('failed');
      n++;
    }
    return n;
  } finally {
    await queue.close();
  }
}

/** Rebuilds batch.json/batch.html of a queued batch: its cases from the queue, results from the store. */
export async function reportBatch(queueUrl: string, storage: Storage): Promise<BatchReport> {
  const prefix = `${batchIdOf(storage.location)}-`;
  const queue = await openQueue(queueUrl);
  try {
    const cases: CaseRef[] = [];
    let meta: QueueReportMeta | undefined;
    const ids = await queue.getRanges(['wait', 'active', 'delayed', 'completed', 'failed'], 0, -1);
    for (const id of new Set(ids)) {
      if (!id.startsWith(prefix)) continue;
      const job = await queue.getJob(id);
      const data = parseCaseJob(job?.data);
      if (!data) continue;
      cases.push({ id: data.id, path: data.case });
      const m = (job?.data as { machine?: QueueReportMeta['machine'] }).machine;
      meta ??= {
        machine: { name: String(m?.name ?? '?'), manifest: String(m?.manifest ?? '?') },
        ...(data.identity.image ? { image: data.identity.image } : {}),
      };
    }
    if (!meta) {
      throw new BerthError('BERTH_E_USAGE', `The queue holds no job of the batch of ${storage.location}`, {
        path: storage.location,
        expected: 'the --out folder a batch was enqueued with, and the same --queue',
      });
    }
    cases.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return await writeReport(storage, cases, meta, queueUrl, new Date());
  } finally {
    await queue.close();
  }
}
