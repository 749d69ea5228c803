/**
 * One run of the machine on a group, in the group's run folder `runs/<id>/`:
 *   received/   the group's instances as they were when the run started (hard links: a late
 *               instance never changes a run under way)
 *   case.json   the case berth runs: the other inputs, and the DICOM input from received/
 *   work/       the harness's run folder (input/, output/, status/, logs/)
 *   report.json, report.html   the run's report, listing the outputs sent and those kept
 * The harness does the rest as `berth run` does: sort + layout + transcoding to the declared
 * syntax, pre-flight checks (constraint violations end as not-applicable, never run), the driver.
 */
import { link, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { isBerthError } from '../errors.js';
import { loadCase } from '../harness/case.js';
import { executeCase, type ExecuteOptions } from '../harness/execute.js';
import { writeReports } from '../harness/run/reports.js';
import type { MachineRef } from '../harness/machine.js';
import type { JsonObject } from '../manifest/document.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { openRegularHandle } from '../tree/open-regular.js';
import type { GroupInput } from './machine-input.js';
import type { GroupPaths } from './spool.js';

/** The run settings shared by every group: `executeCase`'s options without the case and reports. */
export type ListenRunSettings = Omit<
  ExecuteOptions,
  | 'machine'
  | 'casePath'
  | 'reports'
  | 'reportPaths'
  | 'annotate'
  | 'workDir'
  | 'keep'
  | 'out'
  | 'update'
  | 'runId'
>;

/** What the node needs to run groups. */
export interface GroupRunner {
  readonly machine: MachineRef;
  readonly input: GroupInput;
  /** The other inputs of every run (`--inputs`). */
  readonly inputs: JsonObject;
  readonly settings: ListenRunSettings;
}

/** What one run gave. */
export interface GroupRunResult {
  readonly outcome: string;
  readonly reason: string;
  /** DICOM outputs (Part 10 files) to send, relative to the run folder. */
  readonly dicomOutputs: string[];
  /** Other outputs, kept in the run folder, relative to it. */
  readonly otherOutputs: string[];
  /**
   * What is left to do once the outcome is recorded and the outputs are on their way: the HTML
   * report, when {@link runGroup} was asked to defer it (rendering it takes about as long as
   * laying out the input; the destinations need not wait for it).
   */
  readonly after?: () => Promise<void>;
}

/** Options of {@link runGroup}. */
export interface RunGroupOptions {
  /** The id the driver gives the machine (see `LaunchSpec.runId`). */
  readonly launchId?: string;
  /** Leave report.html to the result's `after` (report.json is written before the result). */
  readonly deferHtml?: boolean;
}

/** The folder of a run. */
export function runDir(group: GroupPaths, runId: string): string {
  return path.join(group.runs, runId);
}

/** Hard-links the listed instances into `dest` (a fresh folder). */
async function snapshot(instances: string, uids: readonly string[], dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const uid of uids) await link(path.join(instances, `${uid}.dcm`), path.join(dest, `${uid}.dcm`));
}

/**
 * Runs the machine on the group's instances `uids` in `runs/<runId>/` (removed first: a run that
 * a crash interrupted starts again from nothing). Never throws for what the machine or the data
 * do; that is the outcome.
 */
export async function runGroup(
  runner: GroupRunner,
  group: GroupPaths,
  runId: string,
  uids: readonly string[],
  o: RunGroupOptions = {},
): Promise<GroupRunResult> {
  const dir = runDir(group, runId);
  await rm(dir, { recursive: true, force: true });
  await snapshot(group.instances, uids, path.join(dir, 'received'));
  const casePath = path.join(dir, 'case.json');
  const inputs = { ...runner.inputs, [runner.input.property.name]: { dicom: 'received' } };
  await writeFileAtomic(casePath, JSON.stringify({ inputs }, null, 2) + '\n');
  const outputs = { dicom: [] as string[], other: [] as string[] };
  const reports = { json: path.join(dir, 'report.json'), html: path.join(dir, 'report.html') };
  try {
    const result = await executeCase({
      ...runner.settings,
      ...(o.launchId === undefined ? {} : { runId: o.launchId }),
      machine: runner.machine,
      casePath,
      workDir: path.join(dir, 'work'),
      reports: o.deferHtml ? [reports.json] : [reports.json, reports.html],
      reportPaths: reports,
      annotate: async (r) => {
        if (r.report.process === null) return; // never launched: no outputs
        await classifyOutputs(dir, path.join(r.workDir, 'output'), outputs);
        r.report.notices.push(...outputNotices(outputs));
      },
    });
    return {
      outcome: result.report.outcome,
      reason: result.report.reason,
      dicomOutputs: result.report.outcome === 'passed' ? outputs.dicom : [],
      otherOutputs: outputs.other,
      ...(o.deferHtml
        ? {
            after: async () => {
              const spec = await loadCase(casePath);
              await writeReports(result, spec, runner.machine.definition, [reports.html], reports);
            },
          }
        : {}),
    };
  } catch (e) {
    // A setup failure (driver, image): the run failed, the group is kept.
    const message = isBerthError(e) ? `${e.code}: ${e.message}` : String(e);
    return { outcome: 'error', reason: message, dicomOutputs: [], otherOutputs: [] };
  }
}

function outputNotices(outputs: { dicom: string[]; other: string[] }): string[] {
  const lines = [`berth listen: ${outputs.dicom.length} DICOM output file(s) to send to the destinations`];
  if (outputs.other.length > 0) {
    lines.push(
      `berth listen: ${outputs.other.length} other output file(s) kept in the spool: ${outputs.other.join(', ')}`,
    );
  }
  return lines;
}

/** True when the regular file starts like DICOM Part 10 (128-byte preamble, then `DICM`). */
async function isPart10(file: string): Promise<boolean> {
  // Machine-written: opened no-follow and non-blocking, classified on the descriptor.
  const fh = await openRegularHandle(file);
  try {
    const b = Buffer.alloc(132);
    const { bytesRead } = await fh.read(b, 0, 132, 0);
    return bytesRead === 132 && b.toString('latin1', 128, 132) === 'DICM';
  } finally {
    await fh.close();
  }
}

/** Sorts the output tree's regular files into DICOM ones (sent) and the rest (kept). */
async function classifyOutputs(
  runFolder: string,
  outputDir: string,
  into: { dicom: string[]; other: string[] },
): Promise<void> {
  const entries = await readdir(outputDir, { recursive: true, withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isFile()) continue; // links, FIFOs …: never followed; the output check reports them
    const file = path.join(e.parentPath, e.name);
    const rel = path.relative(runFolder, file);
    ((await isPart10(file)) ? into.dicom : into.other).push(rel);
  }
}
