import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BerthError, isBerthError, isNotApplicableCode, type Finding } from '../errors.js';
import { dicomTreeCheck } from '../check/dicom.js';
import type { MachineDefinition } from '../check/manifest.js';
import { checkTree } from '../check/tree.js';
import { VERSION } from '../version.js';
import { capture, CAPTURE_GRACE_MS, settleCaptures } from './capture.js';
import { requireImage } from './image.js';
import type { CaseSpec } from './case.js';
import type { Driver, Launched } from './drivers/driver.js';
import { launchInput, type LaunchExtras } from './drivers/extras.js';
import { hasExited } from './drivers/exit.js';
import { copyOutputs, relativiseToRun } from './run-folder.js';
import { DeidRun, type DeidRunSettings } from './deid-stage.js';
import { copyTree, materialiseValues, type DicomMaterialiser } from './materialise.js';
import { exitCodeOf, type Outcome } from './outcome.js';
import type { Comparison, ProcessEnd, RunReport, StatusSeen, Tolerance, Usage } from './types.js';
import { setLongTimeout } from './long-timer.js';
import { UsageSampler } from './usage.js';
import { StatusWatcher } from './watch.js';

/** How long a machine gets between SIGTERM and SIGKILL when it is stopped. */
export const STOP_GRACE_MS = 1500;

/** Something that happened during a run, for live displays and server-sent events. */
export type RunEvent =
  | {
      type: 'stage';
      stage: 'materialise' | 'preflight' | 'launch' | 'running' | 'collect' | 'compare' | 'done';
    }
  | { type: 'status'; status: StatusSeen }
  | { type: 'outcome'; outcome: Outcome; reason: string };

/** Compares an expected output tree with the actual one; supplied by harness/compare. */
export type Comparer = (
  definition: MachineDefinition,
  expectedDir: string,
  actualDir: string,
  options: { tolerances: Record<string, Tolerance>; assetsDir?: string },
) => Promise<Comparison[]>;

/** Everything one run needs. */
export interface RunOptions {
  definition: MachineDefinition;
  /** The machine's directory (the process driver's working directory). */
  machineDir: string;
  case: CaseSpec;
  driver: Driver;
  /** The command to run; the container driver may leave it empty (the image's own). */
  command: string[];
  image?: string;
  engine?: string;
  /** Overrides the manifest's timeout. */
  timeoutMs?: number;
  /** Bytes of stdout/stderr kept per stream. */
  captureBytes?: number;
  /** Where to keep the run's trees; a fresh temporary folder when absent. */
  workDir?: string;
  /** Keep the work folder after the run (else it is removed unless given as workDir). */
  keep?: boolean;
  /**
   * Copy the final output tree here once the run is over (`berth run --out DIR`): a directory
   * that does not exist yet or is empty.
   */
  outDir?: string;
  /** Extra environment for the machine. */
  env?: Record<string, string>;
  dicom?: DicomMaterialiser;
  compare?: Comparer;
  /** Where comparison images go (for HTML reports). */
  assetsDir?: string;
  onEvent?: (e: RunEvent) => void;
  /** Driver settings beyond the trees (issue 12 §2: Dockerfile layout, writable input, binds). */
  launch?: LaunchExtras;
  /** Notices to report from before the launch (e.g. the command chosen from the Dockerfile). */
  notices?: string[];
  /** `--deidentify`: the machine sees de-identified DICOM; outputs are leak-checked and re-identified. */
  deidentify?: DeidRunSettings;
}

/** A finished run: its report and where its trees are (until cleaned up). */
export interface RunResult {
  report: RunReport;
  workDir: string;
  /** Removes the work folder (unless kept). */
  cleanup(): Promise<void>;
}

/**
 * Runs a machine on a case, exactly as the platform would: materialise the case into a fresh
 * input tree and check it (constraint violations stop the run as `not-applicable`, broken inputs
 * as `invalid-input`); launch through the driver; watch the status channel; enforce the timeout
 * (SIGTERM, then SIGKILL to the whole process group); capture stdout/stderr with a cap; check the
 * outputs; compare them with the expected ones. Never throws for anything the machine or the case
 * does: that is the report's outcome.
 */
export async function runCase(options: RunOptions): Promise<RunResult> {
  const { definition, onEvent } = options;
  // Before anything is written: a driver that cannot run here stops the run with no trees left.
  const unavailable = await options.driver.unavailable(
    options.engine === undefined ? {} : { engine: options.engine },
  );
  if (unavailable) {
    throw new BerthError(
      'BERTH_E_DRIVER_UNAVAILABLE',
      `The ${options.driver.name} driver cannot run here: ${unavailable}`,
    );
  }
  // A missing image is the user's setup, not the machine's error: refused before any tree exists.
  if (options.driver.name === 'container' && options.image)
    await requireImage(options.image, options.engine, options.machineDir);
  const started = new Date();
  const workDir = options.workDir ?? (await mkdtemp(path.join(os.tmpdir(), 'berth-run-')));
  const dirs = {
    input: path.join(workDir, 'input'),
    output: path.join(workDir, 'output'),
    status: path.join(workDir, 'status'),
    logs: path.join(workDir, 'logs'),
    expected: path.join(workDir, 'expected'),
  };
  for (const d of [dirs.input, dirs.output, dirs.status, dirs.logs]) await mkdir(d, { recursive: true });
  const timeoutMs =
    options.timeoutMs ?? options.case.timeoutMs ?? definition.settings.timeoutMinutes * 60_000;
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
  };
  const keep = options.keep === true || options.workDir !== undefined;
  report.runFolder = { path: workDir, kept: keep };
  const finish = async (outcome: Outcome, reason: string): Promise<RunResult> => {
    report.outcome = outcome;
    report.exitCode = exitCodeOf(outcome);
    report.reason = reason;
    relativiseToRun(report, workDir);
    if (options.outDir !== undefined && report.process !== null)
      await copyOutputs(report, dirs.output, options.outDir);
    onEvent?.({ type: 'outcome', outcome, reason });
    onEvent?.({ type: 'stage', stage: 'done' });
    if (!keep) delete report.trees;
    return {
      report,
      workDir,
      cleanup: () => (keep ? Promise.resolve() : rm(workDir, { recursive: true, force: true })),
    };
  };

  // 1. Materialise and pre-flight check.
  onEvent?.({ type: 'stage', stage: 'materialise' });
  try {
    await materialiseCase(options, dirs.input, dirs.expected);
  } catch (e) {
    if (!isBerthError(e)) throw e;
    report.inputFindings.push(e.toFinding());
    return await finish(
      isNotApplicableCode(e.code) ? 'not-applicable' : 'invalid-input',
      `The case cannot be materialised: ${e.message}`,
    );
  }
  onEvent?.({ type: 'stage', stage: 'preflight' });
  report.inputFindings = await checkTree(definition, 'in', dirs.input, { dicom: dicomTreeCheck() });
  const inputErrors = report.inputFindings.filter((f) => f.severity === 'error');
  if (inputErrors.length > 0) {
    const broken = inputErrors.filter((f) => !isNotApplicableCode(f.code));
    return broken.length > 0
      ? await finish('invalid-input', `${broken.length} input problem(s), first: ${describe(broken[0]!)}`)
      : await finish(
          'not-applicable',
          `The inputs do not meet the machine's constraints: ${describe(inputErrors[0]!)}`,
        );
  }

  // 1b. De-identification (deid-stage.ts): the machine sees only pseudonymous DICOM.
  const deid = options.deidentify
    ? await DeidRun.start(options.deidentify, definition, dirs.input, workDir)
    : undefined;
  if (deid) report.deidentification = deid.run.report;
  if (deid?.refusal) {
    report.inputFindings.push(...deid.refusal.findings);
    const f = deid.refusal.findings[0]!;
    return await finish(isNotApplicableCode(f.code) ? 'not-applicable' : 'invalid-input', describe(f));
  }

  // 2. Launch, watch, wait.
  onEvent?.({ type: 'stage', stage: 'launch' });
  // The trees are shared with a machine that may run as another user (sandbox, container).
  await Promise.all([chmod(dirs.output, 0o777), chmod(dirs.status, 0o777)]);
  let launched: Launched;
  report.notices.push(...(options.notices ?? []));
  const startedMs = performance.now();
  try {
    launched = await options.driver.launch({
      ...options.launch,
      command: options.command,
      cwd: options.machineDir,
      input: await launchInput(dirs.input, workDir, options.launch),
      output: dirs.output,
      status: dirs.status,
      manifest: path.resolve(definition.source.path),
      env: options.env ?? {},
      network: definition.settings.network,
      nvidia: definition.settings.nvidia,
      ...(options.image ? { image: options.image } : {}),
      ...(options.engine ? { engine: options.engine } : {}),
    });
  } catch (e) {
    report.status = { progress: null, warnings: [], error: (e as Error).message };
    return await finish('machine-error', `The machine could not be started: ${(e as Error).message}`);
  }
  report.notices.push(...launched.notices);
  onEvent?.({ type: 'stage', stage: 'running' });
  const watcher = new StatusWatcher(dirs.status, (s) => onEvent?.({ type: 'status', status: s }));
  watcher.start();
  const leader = launched.pgid;
  const sampler = launched.processes
    ? new UsageSampler(() => launched.processes!())
    : leader === undefined
      ? undefined
      : new UsageSampler(() => [leader]);
  sampler?.start();
  const child = launched.child;
  const streams = (['stdout', 'stderr'] as const).map((name) => {
    const stream = child[name];
    const file = path.join(dirs.logs, `${name}.txt`);
    return { name, stream, capture: stream ? capture(stream, file, options.captureBytes) : undefined };
  });
  let timedOut = false;
  // In force until the captures end, not only until the machine exits (see settleCaptures below).
  const timer = setLongTimeout(() => {
    if (!hasExited(child)) timedOut = true;
    void launched.stop(STOP_GRACE_MS);
  }, timeoutMs);
  const end = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const wallMs = performance.now() - startedMs;
  onEvent?.({ type: 'stage', stage: 'collect' });
  const measured = await sampler?.stop();
  report.notices.push(...((await launched.cleanup()) ?? []));
  // What outlived the machine may hold its pipes: read them a short while more (the whole grace
  // even past the timeout: a stopped machine's last lines are often still in the pipe).
  const settled = await settleCaptures(streams, CAPTURE_GRACE_MS);
  timer.clear();
  report.notices.push(...settled.notices);
  const [stdout, stderr] = settled.captured;
  report.stdout = stdout ?? null;
  report.stderr = stderr ?? null;
  report.status = await watcher.stop();
  const usage: Usage = {
    wallMs,
    cpuMs: measured?.cpuMs ?? null,
    peakRssBytes: measured?.peakRssBytes ?? null,
  };
  report.usage = usage;
  const processEnd: ProcessEnd = {
    exitCode: end.code,
    signal: end.signal,
    timedOut,
    stoppedByBerth: timedOut,
  };
  report.process = processEnd;

  // 3. Outcome of the process itself.
  if (timedOut)
    return await finish(
      'timeout',
      `The machine ran past its timeout of ${formatMs(timeoutMs)} and was stopped`,
    );
  if (end.signal) {
    return await finish(
      'killed',
      `The machine was killed by ${end.signal}${end.signal === 'SIGKILL' ? ' (out of memory?)' : ''}`,
    );
  }
  // A machine that checks its own outputs (the SDK's finish(), or berth exec as an image's
  // entrypoint) exits 11 when they are invalid; berth's own check below then gives the outcome and
  // lists the findings. Any other non-zero exit, or an error status, is the machine's error.
  const entrypointSaysInvalidOutput = end.code === exitCodeOf('invalid-output');
  if (end.code !== 0 && !entrypointSaysInvalidOutput) {
    return await finish(
      'machine-error',
      `The machine exited with code ${end.code}${report.status.error ? `: ${firstLine(report.status.error)}` : ''}`,
    );
  }
  if (report.status.error && !entrypointSaysInvalidOutput) {
    return await finish('machine-error', `The machine reported an error: ${firstLine(report.status.error)}`);
  }

  // 4. Outputs, then comparison.
  report.outputFindings = await checkTree(definition, 'out', dirs.output, {
    dicom: dicomTreeCheck({ inputs: { root: dirs.input, properties: definition.inputs } }),
  });
  if (deid) report.outputFindings.push(...(await deid.run.leakCheck(dirs.output)));
  const outputErrors = report.outputFindings.filter((f) => f.severity === 'error');
  if (entrypointSaysInvalidOutput && outputErrors.length === 0) {
    return await finish(
      'machine-error',
      `The machine exited with code ${end.code}, yet its outputs are valid`,
    );
  }
  if (outputErrors.length > 0) {
    return await finish(
      'invalid-output',
      `${outputErrors.length} output problem(s), first: ${describe(outputErrors[0]!)}`,
    );
  }
  if (deid) report.notices.push(...(await deid.run.reidentify(dirs.output, workDir)));
  // Inline expected values are materialised over a copy of the expected tree, when both are given.
  const expectedDir = options.case.expectedOutputs ? dirs.expected : options.case.expectedDir;
  if (expectedDir && options.compare) {
    onEvent?.({ type: 'stage', stage: 'compare' });
    if (report.trees) report.trees.expected = expectedDir;
    report.comparisons = await options.compare(definition, expectedDir, dirs.output, {
      tolerances: options.case.tolerances,
      assetsDir: options.assetsDir ?? path.join(workDir, 'assets'),
    });
    const failed = report.comparisons.filter((c) => !c.passed);
    if (failed.length > 0) {
      return await finish(
        'failed-compare',
        `${failed.length} of ${report.comparisons.length} comparison(s) failed, first: ${failed[0]!.path}${failed[0]!.message ? ` (${failed[0]!.message})` : ''}`,
      );
    }
  }
  return await finish(
    'passed',
    expectedDir ? `All ${report.comparisons.length} comparison(s) passed` : 'The outputs are valid',
  );
}

async function materialiseCase(options: RunOptions, inputDir: string, expectedDir: string): Promise<void> {
  const c = options.case;
  if (c.inputDir) await copyTree(c.inputDir, inputDir);
  const materialise = { baseDir: c.baseDir, ...(options.dicom ? { dicom: options.dicom } : {}) };
  if (c.inputs) await materialiseValues(options.definition.inputs, c.inputs, inputDir, materialise);
  if (c.expectedOutputs) {
    if (c.expectedDir) await copyTree(c.expectedDir, expectedDir);
    await materialiseValues(options.definition.outputs, c.expectedOutputs, expectedDir, materialise);
  }
}

/** The signal behind a shell-style exit code 128 + N, when there is one. */
export function signalOfExitCode(code: number | null): string | undefined {
  if (code === null || code <= 128 || code > 128 + 64) return undefined;
  const n = code - 128;
  return Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0];
}

function describe(f: Finding): string {
  return `${f.code} ${f.message}`;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** A duration in words: `90 s`, `10 min`. */
export function formatMs(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 6000) / 10} min`;
}
