import type { Command } from 'commander';
import { driverNamed } from '../harness/drivers/index.js';
import { executeCase } from '../harness/execute.js';
import { liveDisplay } from '../harness/live.js';
import { resolveMachine } from '../harness/machine.js';
import { checkOutDir, checkReportFiles, reportFormatOf } from '../harness/report/destinations.js';
import { renderTerminalSummary, summaryWidth, wantsColor } from '../harness/report/terminal.js';
import { reportError, writeOut } from './output.js';
import {
  addDeidOptions,
  addDriverOptions,
  addLaunchOptions,
  collect,
  deidSettings,
  driverSettings,
  launchOverrides,
  parseBytes,
  parseDuration,
  type DeidFlags,
  type DriverFlags,
  type LaunchFlags,
} from './run-options.js';

interface RunFlags extends LaunchFlags, DriverFlags, DeidFlags {
  case: string;
  timeout?: string;
  report?: string[];
  out?: string;
  update?: boolean;
  keep?: boolean;
  captureBytes?: string;
  json?: boolean;
}

/** `berth run <machine-dir|manifest> --case CASE`: one run, exactly as the platform would do it. */
export function registerRun(program: Command): void {
  addDeidOptions(addDriverOptions(addLaunchOptions(program.command('run'))))
    .description('run a machine on a case as the platform would, then validate, compare and report')
    .argument('<machine>', 'a machine directory (with machine.yaml) or its manifest')
    .requiredOption('--case <case>', 'a case directory or case file (case.yaml/.json)')
    .option('--timeout <duration>', "overrides the manifest's timeout: 90s, 5m, or minutes")
    .option('--report <file>', 'write a report: run.json and/or run.html (repeatable)', collect)
    .option('--out <dir>', 'copy the final output tree to <dir> (absent or empty)')
    .option('--keep', 'keep the run folder (input, output, status, logs) and print its path')
    .option('--update', 'write the actual outputs as the expected ones (expected/ beside the case)')
    .option('--capture-bytes <size>', 'stdout/stderr kept per stream (default 8MiB; the last 64 KiB always)')
    .option('--json', 'print the report as JSON instead of the summary')
    .action(async (machine: string, flags: RunFlags) => {
      process.exitCode = await runOne(machine, flags);
    });
}

async function runOne(machineArg: string, flags: RunFlags): Promise<number> {
  let live: ReturnType<typeof liveDisplay> | undefined;
  try {
    // Every option is checked before anything runs: a mistake costs no run and leaves no folder.
    driverNamed(flags.driver);
    const timeoutMs = flags.timeout ? parseDuration(flags.timeout) : undefined;
    const captureBytes = flags.captureBytes ? parseBytes(flags.captureBytes) : undefined;
    const overrides = launchOverrides(flags);
    await checkReportFiles(flags.report ?? []);
    if (flags.out !== undefined) await checkOutDir(flags.out);
    const deidentify = await deidSettings(flags);
    const machine = await resolveMachine(machineArg);
    live = flags.json ? undefined : liveDisplay(process.stderr, flags.case);
    const result = await executeCase({
      machine,
      casePath: flags.case,
      driver: flags.driver,
      ...overrides,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(captureBytes === undefined ? {} : { captureBytes }),
      ...(flags.keep ? { keep: true } : {}),
      ...(flags.out === undefined ? {} : { out: flags.out }),
      reports: flags.report ?? [],
      ...(flags.update ? { update: true } : {}),
      ...driverSettings(flags),
      ...(deidentify ? { deidentify } : {}),
      ...(live ? { onEvent: live.onEvent } : {}),
    });
    live?.done();
    live = undefined;
    if (flags.json) await writeOut(JSON.stringify(result.report, null, 2) + '\n');
    else {
      const json = flags.report?.find((f) => reportFormatOf(f) === 'json');
      const html = flags.report?.find((f) => reportFormatOf(f) === 'html');
      const summary = renderTerminalSummary(result.report, {
        color: wantsColor(process.stdout),
        width: summaryWidth(process.stdout),
        reports: { ...(json ? { json } : {}), ...(html ? { html } : {}) },
      });
      await writeOut(summary + '\n');
    }
    await result.cleanup();
    return result.report.exitCode;
  } catch (e) {
    live?.done();
    return reportError(e, flags.json === true);
  }
}
