import type { Command } from 'commander';
import { executeCase } from '../harness/execute.js';
import { liveDisplay } from '../harness/live.js';
import { resolveMachine, splitCommand } from '../harness/machine.js';
import { renderTerminalSummary, wantsColor } from '../harness/report/terminal.js';
import { reportError, writeOut } from './output.js';
import {
  addDriverOptions,
  collect,
  driverSettings,
  parseBytes,
  parseDuration,
  type DriverFlags,
} from './run-options.js';

interface RunFlags extends DriverFlags {
  case: string;
  driver: string;
  image?: string;
  engine?: string;
  cmd?: string;
  timeout?: string;
  report?: string[];
  update?: boolean;
  keep?: boolean;
  captureBytes?: string;
  json?: boolean;
}

/** `berth run <machine-dir|manifest> --case CASE`: one run, exactly as the platform would do it. */
export function registerRun(program: Command): void {
  addDriverOptions(program.command('run'))
    .description('run a machine on a case as the platform would, then validate, compare and report')
    .argument('<machine>', 'a machine directory (with machine.yaml) or its manifest')
    .requiredOption('--case <case>', 'a case directory or case file (case.yaml/.json)')
    .option('--driver <driver>', 'process, sandbox or container', 'process')
    .option('--image <image>', 'the image to run (container driver)')
    .option('--engine <engine>', 'podman or docker (container driver; default: whichever is installed)')
    .option('--cmd <command>', "the machine's command (overrides berth.command in the manifest)")
    .option('--timeout <duration>', "overrides the manifest's timeout: 90s, 5m, or minutes")
    .option('--report <file>', 'write a report: run.json and/or run.html (repeatable)', collect)
    .option('--keep', 'keep the run folder (input, output, status, logs) and print its path')
    .option('--update', 'write the actual outputs as the expected ones (expected/ beside the case)')
    .option('--capture-bytes <size>', 'stdout/stderr kept per stream (default 8MiB; the last 64 KiB always)')
    .option('--json', 'print the report as JSON instead of the summary')
    .action(async (machine: string, flags: RunFlags) => {
      process.exitCode = await runOne(machine, flags);
    });
}

async function runOne(machineArg: string, flags: RunFlags): Promise<number> {
  try {
    const machine = await resolveMachine(machineArg);
    const live = flags.json ? undefined : liveDisplay(process.stderr, flags.case);
    const result = await executeCase({
      machine,
      casePath: flags.case,
      driver: flags.driver,
      ...(flags.cmd ? { command: splitCommand(flags.cmd) } : {}),
      ...(flags.image ? { image: flags.image } : {}),
      ...(flags.engine ? { engine: flags.engine } : {}),
      ...(flags.timeout ? { timeoutMs: parseDuration(flags.timeout) } : {}),
      ...(flags.captureBytes ? { captureBytes: parseBytes(flags.captureBytes) } : {}),
      ...(flags.keep ? { keep: true } : {}),
      reports: flags.report ?? [],
      ...(flags.update ? { update: true } : {}),
      ...driverSettings(flags),
      ...(live ? { onEvent: live.onEvent } : {}),
    });
    live?.done();
    if (flags.json) await writeOut(JSON.stringify(result.report, null, 2) + '\n');
    else {
      const json = flags.report?.find((f) => f.endsWith('.json'));
      const html = flags.report?.find((f) => f.endsWith('.html') || f.endsWith('.htm'));
      const summary = renderTerminalSummary(result.report, {
        color: wantsColor(process.stdout),
        width: process.stdout.columns ?? 100,
        reports: { ...(json ? { json } : {}), ...(html ? { html } : {}) },
      });
      await writeOut(summary + '\n');
    }
    await result.cleanup();
    return result.report.exitCode;
  } catch (e) {
    return reportError(e, flags.json === true);
  }
}
