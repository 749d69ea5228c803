/**
 * The case's run, from its opening to its result: the run folder with its trees, the report every
 * stage fills in, the facts the verdict reads; and, at the end, the verdict written into the report,
 * paths made relative to the run folder, the `--out` copy, the events `outcome` and `done`.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { VERSION } from '../../version.js';
import { exitCodeOf } from '../outcome.js';
import { copyOutputs, relativiseToRun } from './folder.js';
import type { RunReport } from '../types.js';
import type { RunEvent, RunOptions, RunResult } from './options.js';
import { finalVerdict, type RunFacts } from './verdict.js';

/** The trees of a run folder. */
export interface RunDirs {
  input: string;
  output: string;
  status: string;
  logs: string;
  /** The case's expected outputs, when given inline (materialised here). */
  expected: string;
}

/** One run in progress: what it was asked, where its trees are, what is known so far. */
export interface Run {
  options: RunOptions;
  workDir: string;
  dirs: RunDirs;
  /** The work folder stays after the run. */
  keep: boolean;
  timeoutMs: number;
  report: RunReport;
  facts: RunFacts;
  /** Tells the caller's `onEvent`, when there is one. */
  emit(e: RunEvent): void;
}

/** Makes the run folder and its trees, and the report's first form (an outcome still to come). */
export async function openRun(options: RunOptions): Promise<Run> {
  const { definition } = options;
  const started = new Date();
  const workDir = options.workDir ?? (await mkdtemp(path.join(os.tmpdir(), 'berth-run-')));
  const dirs: RunDirs = {
    input: path.join(workDir, 'input'),
    output: path.join(workDir, 'output'),
    status: path.join(workDir, 'status'),
    logs: path.join(workDir, 'logs'),
    expected: path.join(workDir, 'expected'),
  };
  for (const d of [dirs.input, dirs.output, dirs.status, dirs.logs]) await mkdir(d, { recursive: true });
  const timeoutMs =
    options.timeoutMs ?? options.case.timeoutMs ?? definition.settings.timeoutMinutes * 60_000;
  const keep = options.keep === true || options.workDir !== undefined;
  const report: RunReport = {
    schema: 'berth-run-report/1',
    berthVersion: VERSION,
    machine: { name: definition.settings.name, manifest: definition.source.path, dir: options.machineDir },
    case: { name: options.case.name, path: options.case.path },
    driver: options.driver.name,
    ...(options.image ? { image: options.image } : {}),
    command: options.command,
    outcome: 'passed',
    exitCode: 0,
    reason: '',
    startedAt: started.toISOString(),
    timeoutMs,
    usage: null,
    process: null,
    status: { progress: null, warnings: [], error: null },
    stdout: null,
    stderr: null,
    inputFindings: [],
    outputFindings: [],
    comparisons: [],
    notices: [],
    trees: { input: dirs.input, output: dirs.output, status: dirs.status },
    runFolder: { path: workDir, kept: keep },
  };
  const facts: RunFacts = { statusFile: path.join(dirs.status, 'error') };
  const emit = (e: RunEvent) => options.onEvent?.(e);
  return { options, workDir, dirs, keep, timeoutMs, report, facts, emit };
}

/** Ends the run with the verdict of what is known, and hands over its report and folder. */
export async function closeRun(run: Run): Promise<RunResult> {
  const { report, workDir, keep, options } = run;
  const { outcome, reason } = finalVerdict(run.facts);
  report.outcome = outcome;
  report.exitCode = exitCodeOf(outcome);
  report.reason = reason;
  relativiseToRun(report, workDir);
  if (options.outDir !== undefined && report.process !== null)
    await copyOutputs(report, run.dirs.output, options.outDir);
  run.emit({ type: 'outcome', outcome, reason });
  run.emit({ type: 'stage', stage: 'done' });
  if (!keep) delete report.trees;
  return {
    report,
    workDir,
    cleanup: () => (keep ? Promise.resolve() : rm(workDir, { recursive: true, force: true })),
  };
}
