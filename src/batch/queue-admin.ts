/**
 * `berth batch status|retry-failed|report --queue … --out …`: a queued batch, found by its id
 * (from `--out`) in the register of batches, which names the queue of its machine identity.
 */
import type { Queue } from 'bullmq';
import { BerthError } from '../errors.js';
import type { CaseRef } from './cases.js';
import type { BatchReport } from './aggregate.js';
import { batchIdOf, parseCaseJob } from './queue.js';
import { openBatchQueue, queueFailure } from './queue-connect.js';
import { writeReport, type QueueReportMeta } from './queue-batch.js';
import { storageLocation } from './open-storage.js';
import type { Storage } from './storage.js';

/** The job states a batch's jobs are counted in. */
const STATES = ['wait', 'active', 'delayed', 'completed', 'failed'] as const;

/** Runs `use` on the queue of the batch of `location`; a Redis failure is BERTH_E_QUEUE_UNREACHABLE. */
async function withBatchQueue<T>(
  url: string,
  location: string,
  use: (queue: Queue, prefix: string) => Promise<T>,
): Promise<T> {
  const batch = batchIdOf(location);
  const queue = await openBatchQueue(url, batch, location);
  try {
    return await use(queue, `${batch}-`);
  } catch (e) {
    throw queueFailure(url, e);
  } finally {
    await queue.close().catch(() => {});
  }
}

/** The number of a batch's jobs in each state. */
export function batchStatus(queueUrl: string, out: string): Promise<Record<string, number>> {
  return withBatchQueue(queueUrl, storageLocation(out), async (queue, prefix) => {
    const counts: Record<string, number> = {};
    for (const state of STATES) {
      const ids = await queue.getRanges([state], 0, -1);
      counts[state] = ids.filter((id) => id.startsWith(prefix)).length;
    }
    return counts;
  });
}

/** Puts a batch's failed jobs back in the queue; returns how many. */
export function retryFailed(queueUrl: string, out: string): Promise<number> {
  return withBatchQueue(queueUrl, storageLocation(out), async (queue, prefix) => {
    let n = 0;
    for (const id of await queue.getRanges(['failed'], 0, -1)) {
      if (!id.startsWith(prefix)) continue;
      const job = await queue.getJob(id);
      if (!job) continue;
      await job.retry('failed');
      n++;
    }
    return n;
  });
}

/** Rebuilds batch.json/batch.html of a queued batch: its cases from the queue, results from the store. */
export function reportBatch(queueUrl: string, storage: Storage): Promise<BatchReport> {
  return withBatchQueue(queueUrl, storage.location, async (queue, prefix) => {
    const cases: CaseRef[] = [];
    let meta: QueueReportMeta | undefined;
    for (const id of new Set(await queue.getRanges([...STATES], 0, -1))) {
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
    if (!meta) return undefined;
    cases.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return await writeReport(storage, cases, meta, queueUrl, new Date());
  }).then((report) => {
    if (report) return report;
    throw new BerthError('BERTH_E_USAGE', `The queue holds no job of the batch of ${storage.location}`, {
      path: storage.location,
      expected: 'the --out folder a batch was enqueued with, and the same --queue',
    });
  });
}
