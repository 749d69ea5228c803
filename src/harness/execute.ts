import path from 'node:path';
import { loadCase, type CaseSpec } from './case.js';
import { driverNamed } from './drivers/index.js';
import type { Driver, Launched } from './drivers/driver.js';
import { launchPlan, type MachineRef } from './machine.js';
import { sandboxNeeds } from './drivers/needs.js';
import { failureHints, readOnlyInputFinding } from './hints.js';
import type { DeidRunSettings } from './deid-stage.js';
import { runCase, type RunEvent, type RunResult } from './run.js';
import { writeReports } from './run/reports.js';
import { compareOutputs } from './compare/index.js';
import { applyUpdate, assertUpdatable } from './compare/update.js';

/** A run as the CLI, `berth test` and the gateway ask for it. */
export interface ExecuteOptions {
  machine: MachineRef;
  casePath: string;
  driver?: string;
  /** Overrides the manifest's `berth.command`. */
  command?: string[];
  image?: string;
  engine?: string;
  timeoutMs?: number;
  captureBytes?: number;
  keep?: boolean;
  workDir?: string;
  /**
   * Write the actual outputs as the case's expected tree (`expected/` beside the case, or the
   * case's `outputs-dir`) when the outputs are valid.
   */
  update?: boolean;
  /** Copy the final output tree to this directory (`berth run --out`). */
  out?: string;
  /** Report files to write: `.json` and/or `.html`. */
  reports?: string[];
  onEvent?: (e: RunEvent) => void;
  env?: Record<string, string>;
  /** `--writable-input`: the machine gets a private writable copy of its input tree. */
  writableInput?: boolean;
  /** `--bind` / `--ro-bind` (sandbox). */
  binds?: { path: string; writable: boolean }[];
  /**
   * Where the reports will be found, when that differs from where they are written (a batch
   * writes them into a staging folder that is then renamed into place); the HTML report names them.
   */
  reportPaths?: { json?: string; html?: string };
  /** `--deidentify` (harness/deid-stage.ts). */
  deidentify?: DeidRunSettings;
  /**
   * The id the driver gives the machine (`LaunchSpec.runId`): `berth listen` records it before the
   * run, to stop a machine a crash of berth left running (drivers/orphans.ts). Default: a fresh one.
   */
  runId?: string;
  /** Told of the started machine, so a caller (a batch pool on a second Ctrl-C) can stop it. */
  onLaunched?: (launched: Launched) => void;
  /**
   * Adds to the report once the run is over, before the report files are written (`berth listen`
   * lists the outputs it sends and those it keeps).
   */
  annotate?: (result: RunResult) => Promise<void> | void;
}

/** The driver, telling `onLaunched` of every machine it starts. */
function watchedDriver(driver: Driver, onLaunched: ((l: Launched) => void) | undefined): Driver {
  if (!onLaunched) return driver;
  return {
    name: driver.name,
    ...(driver.inputReadOnly ? { inputReadOnly: true } : {}),
    unavailable: (spec) => driver.unavailable(spec),
    launch: async (spec) => {
      const launched = await driver.launch(spec);
      onLaunched(launched);
      return launched;
    },
  };
}

/** A run's result, with the outcome its case file expects (`passed` unless it says otherwise). */
export type ExecuteResult = RunResult & { expectedOutcome: CaseSpec['expectedOutcome'] };

/** Loads the case, picks the driver and the command, runs, and writes the requested reports. */
export async function executeCase(options: ExecuteOptions): Promise<ExecuteResult> {
  const driver = watchedDriver(driverNamed(options.driver ?? 'process'), options.onLaunched);
  const plan = launchPlan(options.machine, driver, options.command, options.image);
  const launch = await sandboxNeeds(driver, options.machine.machineDir, plan);
  const spec = await loadCase(options.casePath);
  const caseNotices: string[] = [];
  if (options.update) assertUpdatable(spec, options.machine.definition);
  const result = await runCase({
    definition: options.machine.definition,
    machineDir: options.machine.machineDir,
    case: spec,
    driver,
    command: plan.command,
    launch: {
      ...(plan.contextAt ? { contextAt: plan.contextAt } : {}),
      ...(plan.workdir ? { workdir: plan.workdir } : {}),
      ...(options.writableInput ? { writableInput: true } : {}),
      ...(options.runId === undefined ? {} : { runId: options.runId }),
      binds: [...launch.binds, ...(options.binds ?? [])],
    },
    notices: [...plan.notices, ...launch.notices],
    ...(options.image ? { image: options.image } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.captureBytes === undefined ? {} : { captureBytes: options.captureBytes }),
    ...(options.keep === undefined ? {} : { keep: options.keep }),
    ...(options.workDir === undefined ? {} : { workDir: options.workDir }),
    ...(options.out === undefined ? {} : { outDir: options.out }),
    ...(options.env ? { env: options.env } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.deidentify ? { deidentify: options.deidentify } : {}),
    caseNotice: (line) => caseNotices.push(line),
    compare: compareOutputs,
  });
  result.report.notices.push(...failureHints(result.report));
  result.report.inputFindings.push(...readOnlyInputFinding(result.report, options));
  result.report.notices.unshift(...caseNotices);
  await options.annotate?.(result);
  await writeReports(result, spec, options.machine.definition, options.reports, options.reportPaths);
  if (options.update && (result.report.outcome === 'passed' || result.report.outcome === 'failed-compare')) {
    const output = path.join(result.workDir, 'output');
    result.report.notices.push(await applyUpdate(spec, options.machine.definition, output));
  }
  return Object.assign(result, { expectedOutcome: spec.expectedOutcome });
}
