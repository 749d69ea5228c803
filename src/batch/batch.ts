/**
 * `berth batch`, embedded: every case of a dataset through the harness, N at a time, each into its
 * own folder under the store, committed with a completed marker; cases already marked are skipped
 * (`--resume`); at the end (or when stopped) one aggregate report, `batch.json` and `batch.html`.
 *
 * Stopping: {@link BatchControl.stop} lets the running cases finish and starts no other;
 * {@link BatchControl.kill} also kills the running machines and throws their cases away (they
 * are not marked, so `--resume` runs them again).
 */
import { BerthError } from '../errors.js';
import type { Launched } from '../harness/drivers/driver.js';
import { STOP_GRACE_MS } from '../harness/run.js';
import { buildBatchReport, type BatchReport } from './aggregate.js';
import type { CaseRef } from './cases.js';
import { BATCH_FILES, casePassed, type CaseRecord } from './job.js';
import { runPool } from './pool.js';
import type { Progress } from './progress.js';
import { renderBatchHtml } from './report-html.js';
import { runJob, type BatchRunSettings, type JobControl } from './run-job.js';
import type { Storage } from './storage.js';

/** Everything one batch needs. */
export interface BatchOptions {
  cases: readonly CaseRef[];
  storage: Storage;
  settings: BatchRunSettings;
  concurrency: number;
  /** Skip the cases that already have a completed marker (else such a store is refused). */
  resume: boolean;
  progress: Progress;
  control: BatchControl;
  /** Adds to the report before it is written (`--baseline`: the comparison with the baseline). */
  extend?: (report: BatchReport) => Promise<BatchReport>;
}

/** Stops a batch: gently (running cases finish) or at once (running machines are killed). */
export class BatchControl implements JobControl {
  stopping = false;
  killing = false;
  private readonly machines = new Map<string, Launched>();

  launched(id: string, launched: Launched): void {
    this.machines.set(id, launched);
    if (this.killing) void launched.stop(0);
  }

  /** Forgets a case's machine once the case has ended. */
  ended(id: string): void {
    this.machines.delete(id);
  }

  /** Starts no other case. */
  stop(): void {
    this.stopping = true;
  }

  /** Starts no other case and kills the running machines (SIGTERM, SIGKILL after the grace). */
  kill(graceMs = STOP_GRACE_MS): void {
    this.stopping = true;
    this.killing = true;
    for (const m of this.machines.values()) void m.stop(graceMs);
  }

  get running(): number {
    return this.machines.size;
  }
}

/** What a batch ended with. */
export interface BatchResult {
  report: BatchReport;
  /** Cases run by this invocation (not those skipped as already finished). */
  ran: number;
}

/** The records of cases that already finished (a store used before); the queue mode uses it too. */
export async function finishedBefore(
  cases: readonly CaseRef[],
  storage: Storage,
): Promise<Map<string, CaseRecord>> {
  const records = new Map<string, CaseRecord>();
  for (const c of cases) {
    const r = await storage.completed(c.id);
    if (r) records.set(c.id, r);
  }
  return records;
}

/** What a batch still has to do in a store: the cases finished before, the others, the failed before. */
export interface ResumePlan {
  records: Map<string, CaseRecord>;
  todo: CaseRef[];
  failedBefore: number;
}

/**
 * The plan of a batch in `storage`, embedded or queued: a store that already holds finished cases
 * of it is refused unless `resume` (BERTH_E_USAGE); those cases are skipped.
 */
export async function resumePlan(
  cases: readonly CaseRef[],
  storage: Storage,
  resume: boolean,
): Promise<ResumePlan> {
  const records = await finishedBefore(cases, storage);
  if (records.size > 0 && !resume) {
    throw new BerthError(
      'BERTH_E_USAGE',
      `${storage.location} already holds ${records.size} finished case(s) of this batch`,
      { path: storage.location, expected: '--resume to go on with it, or an empty --out folder' },
    );
  }
  return {
    records,
    todo: cases.filter((c) => !records.has(c.id)),
    failedBefore: [...records.values()].filter((r) => !casePassed(r)).length,
  };
}

/** Writes a batch's report beside its case folders: `batch.json`, then `batch.html`. */
export async function writeBatchReport(storage: Storage, report: BatchReport): Promise<void> {
  await storage.writeBatchFile(BATCH_FILES.json, JSON.stringify(report, null, 2) + '\n');
  await storage.writeBatchFile(BATCH_FILES.html, renderBatchHtml(report));
}

/** Runs the batch; never throws for a case (its outcome says what happened). */
export async function runBatch(options: BatchOptions): Promise<BatchResult> {
  const { cases, storage, control, progress } = options;
  const startedAt = new Date();
  await storage.sweep();
  const { records, todo, failedBefore } = await resumePlan(cases, storage, options.resume);
  progress.start(cases.length, records.size, failedBefore);
  let ran = 0;
  await runPool(
    todo,
    options.concurrency,
    async (job) => {
      progress.began(job.id);
      let record: CaseRecord | undefined;
      try {
        record = await runJob(job, options.settings, storage, control);
      } finally {
        control.ended(job.id);
      }
      if (record) {
        records.set(job.id, record);
        ran++;
      }
      progress.ended(record, job.id);
    },
    control,
  );
  progress.finish();
  const { definition, manifestPath } = options.settings.machine;
  const built = buildBatchReport(
    {
      machine: { name: definition.settings.name, manifest: manifestPath },
      driver: options.settings.driver ?? 'process',
      ...(options.settings.image ? { image: options.settings.image } : {}),
      concurrency: options.concurrency,
      startedAt,
      interrupted: records.size < cases.length,
    },
    cases,
    records,
  );
  const report = options.extend ? await options.extend(built) : built;
  await writeBatchReport(storage, report);
  return { report, ran };
}
