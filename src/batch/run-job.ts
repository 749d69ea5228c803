/**
 * One job of a batch: run one case through the harness (exactly as `berth run` does, reports
 * included) into the case's staging folder, then commit it with its completed marker. The
 * machine runs in its own process group (every driver starts it so), so a machine that crashes
 * or hangs costs its case, never the pool.
 */
import { cp, rename } from 'node:fs/promises';
import path from 'node:path';
import { isBerthError, toBerthError } from '../errors.js';
import type { Launched } from '../harness/drivers/driver.js';
import { executeCase, type ExecuteOptions } from '../harness/execute.js';
import type { CaseRef } from './cases.js';
import { CASE_FILES, recordOfError, recordOfRun, type CaseRecord } from './job.js';
import type { Storage } from './storage.js';

/** The run settings shared by every case of a batch: `executeCase`'s options without the case. */
export type BatchRunSettings = Omit<
  ExecuteOptions,
  'casePath' | 'reports' | 'reportPaths' | 'onLaunched' | 'onEvent'
>;

/** What the pool tells a job and learns from it. */
export interface JobControl {
  /** True once running machines must be killed and their cases thrown away (a second Ctrl-C). */
  readonly killing: boolean;
  /** Told of each machine started, so it can be killed. */
  launched(id: string, launched: Launched): void;
}

/** Moves a folder (a rename, or a copy when the two are on different file systems). */
async function moveFolder(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code !== 'EXDEV') throw e;
    // Symlinks stay links (never followed); the run folder is removed by the run's cleanup.
    await cp(from, to, { recursive: true, verbatimSymlinks: true, errorOnExist: true });
    return true;
  }
}

/**
 * Runs `job` and commits it. Returns its record, or undefined when the batch was being killed
 * meanwhile (its staging folder is then removed, so the case runs again on `--resume`).
 * `stamp` adds what the caller knows to the record (a queue worker: its deliveries).
 */
export async function runJob(
  job: CaseRef,
  settings: BatchRunSettings,
  storage: Storage,
  control: JobControl,
  stamp: Pick<CaseRecord, 'deliveries'> = {},
): Promise<CaseRecord | undefined> {
  const staging = await storage.stage(job.id);
  const startedAt = new Date();
  let record: CaseRecord;
  try {
    const result = await executeCase({
      ...settings,
      casePath: job.path,
      reports: [path.join(staging.dir, CASE_FILES.json), path.join(staging.dir, CASE_FILES.html)],
      reportPaths: {
        // Joined with `/`, not path.join, which would fold an `s3://` location's slashes.
        json: `${storage.caseLocation(job.id)}/${CASE_FILES.json}`,
        html: `${storage.caseLocation(job.id)}/${CASE_FILES.html}`,
      },
      onLaunched: (l) => control.launched(job.id, l),
    });
    try {
      const files: string[] = [CASE_FILES.json, CASE_FILES.html];
      if (!control.killing) {
        for (const name of [CASE_FILES.output, CASE_FILES.logs]) {
          if (await moveFolder(path.join(result.workDir, name), path.join(staging.dir, name)))
            files.push(name);
        }
      }
      const times = { startedAt, finishedAt: new Date() };
      record = recordOfRun(job.id, job.path, result.report, times, files, result.expectedOutcome);
    } finally {
      await result.cleanup();
    }
  } catch (e) {
    const err = isBerthError(e) ? e : toBerthError(e);
    record = recordOfError(
      job.id,
      job.path,
      { code: err.code, message: err.message },
      {
        startedAt,
        finishedAt: new Date(),
      },
    );
  }
  record = { ...record, ...stamp };
  if (control.killing) {
    await staging.discard();
    return undefined;
  }
  try {
    // The record that stands: ours, or the first one when another delivery committed the case.
    return await staging.commit(record);
  } catch (e) {
    await staging.discard();
    throw e;
  }
}
