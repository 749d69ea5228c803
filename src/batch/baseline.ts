/**
 * `berth batch --baseline`: every case also runs through the previous version of the machine (a
 * machine directory or manifest, or an image), into `<out>/.baseline/` (a batch of its own, with
 * its own report and completed markers, so `--resume` resumes both); then each case's new outputs
 * are compared with the baseline's by the harness's per-kind comparison, the baseline's outputs
 * standing where a case's expected outputs stand, with the tolerances of the new manifest's
 * `berth:` keys. The batch report lists the cases whose outputs changed beyond tolerance.
 */
import { existsSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { compareOutputs } from '../harness/compare/index.js';
import { resolveMachine } from '../harness/machine.js';
import type { BatchReport } from './aggregate.js';
import { runBatch, type BatchOptions } from './batch.js';
import { BATCH_FILES, CASE_FILES, type CaseRecord } from './job.js';
import type { Property } from '../kinds/property.js';
import type { BaselineDifference, BaselineReport } from './baseline-report.js';
import type { BatchRunSettings } from './run-job.js';
import { LocalStorage, type Storage } from './storage.js';

/** The folder under `--out` holding the baseline's batch (a dot name: never a case id). */
export const BASELINE_DIR = '.baseline';

/** The run settings of the baseline: a machine on disk with the same driver options, else an image. */
export async function baselineSettings(arg: string, settings: BatchRunSettings): Promise<BatchRunSettings> {
  // The new machine's --cmd and --image name the new machine; the baseline starts its own way.
  const { command: _command, image: _image, ...shared } = settings;
  if (existsSync(arg)) return { ...shared, machine: await resolveMachine(arg) };
  return { ...shared, driver: 'container', image: arg };
}

function outputDir(storage: Storage, record: CaseRecord | undefined): string | undefined {
  if (!record?.files.includes(CASE_FILES.output)) return undefined;
  return path.join(storage.caseLocation(record.id), CASE_FILES.output);
}

/** Whether a name exists in a folder (lstat: a machine-written link is never followed). */
async function exists(dir: string, name: string): Promise<boolean> {
  return lstat(path.join(dir, name)).then(
    () => true,
    () => false,
  );
}

/**
 * The outputs the new machine wrote and the baseline did not (the comparison walks the baseline's
 * tree, so it does not see them): top-level properties only.
 */
async function newOnly(
  outputs: readonly Property[],
  theirs: string,
  mine: string,
): Promise<BaselineDifference[]> {
  const out: BaselineDifference[] = [];
  for (const p of outputs) {
    if ((await exists(mine, p.name)) && !(await exists(theirs, p.name))) {
      out.push({
        property: p.path,
        path: p.name,
        method: 'presence',
        message: 'written by the new machine only',
      });
    }
  }
  return out;
}

/** Compares every case's outputs with the baseline's. */
async function compareWithBaseline(
  options: BatchOptions,
  baseline: LocalStorage,
  report: BatchReport,
): Promise<Pick<BaselineReport, 'compared' | 'notCompared' | 'changed'>> {
  const { storage } = options;
  const out: Pick<BaselineReport, 'compared' | 'notCompared' | 'changed'> = {
    compared: 0,
    notCompared: [],
    changed: [],
  };
  for (const c of report.cases) {
    const mine = outputDir(storage, await storage.completed(c.id));
    const theirs = outputDir(baseline, await baseline.completed(c.id));
    if (mine === undefined || theirs === undefined) {
      const reason =
        mine === undefined && theirs === undefined
          ? 'neither run wrote outputs'
          : `${mine === undefined ? 'the new machine' : 'the baseline'} wrote no outputs`;
      out.notCompared.push({ id: c.id, reason });
      continue;
    }
    const { definition } = options.settings.machine;
    const comparisons = await compareOutputs(definition, theirs, mine);
    out.compared++;
    const differences: BaselineDifference[] = comparisons
      .filter((x) => !x.passed)
      .map((x) => ({
        property: x.property,
        path: x.path,
        method: x.method,
        message: x.message ?? 'differs',
      }));
    differences.push(...(await newOnly(definition.outputs, theirs, mine)));
    if (differences.length > 0) out.changed.push({ id: c.id, differences });
  }
  out.changed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}

/**
 * Runs the baseline's batch (under `<out>/.baseline/`), then returns the hook that adds the
 * comparison to the new batch's report. Undefined when the baseline batch was stopped.
 */
export async function runBaseline(
  arg: string,
  options: BatchOptions,
): Promise<((report: BatchReport) => Promise<BatchReport>) | undefined> {
  const settings = await baselineSettings(arg, options.settings);
  const storage = new LocalStorage(path.join(options.storage.location, BASELINE_DIR));
  await storage.open();
  options.progress.note(`berth batch: running the baseline ${arg} into ${storage.location}`);
  const { extend: _extend, ...rest } = options;
  await runBatch({ ...rest, storage, settings });
  if (options.control.stopping) return undefined;
  options.progress.note('berth batch: running the new machine');
  return async (report) => ({
    ...report,
    baseline: {
      machine: existsSync(arg) ? settings.machine.manifestPath : arg,
      driver: settings.driver ?? 'process',
      ...(settings.image ? { image: settings.image } : {}),
      report: `${BASELINE_DIR}/${BATCH_FILES.html}`,
      ...(await compareWithBaseline(options, storage, report)),
    },
  });
}
