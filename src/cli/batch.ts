import type { Command } from 'commander';
import { BatchControl, runBatch, type BatchOptions } from '../batch/batch.js';
import { runBaseline } from '../batch/baseline.js';
import { BATCH_FILES } from '../batch/job.js';
import { listCases } from '../batch/cases.js';
import { MAX_CONCURRENCY } from '../batch/pool.js';
import { lineProgress, terminalProgress } from '../batch/progress.js';
import { openStorage } from '../batch/open-storage.js';
import { isS3Uri } from '../batch/s3-storage.js';
import { BerthError } from '../errors.js';
import { resolveMachine } from '../harness/machine.js';
import { EXIT_INTERRUPTED, queuedBatch, registerBatchQueueCommands } from './batch-queue.js';
import { EXIT, reportError, writeOut } from './output.js';
import {
  addDriverOptions,
  addLaunchOptions,
  driverSettings,
  launchOverrides,
  parseDuration,
  parseWholeNumber,
  type DriverFlags,
  type LaunchFlags,
} from './run-options.js';

interface BatchFlags extends LaunchFlags, DriverFlags {
  cases: string;
  out: string;
  timeout?: string;
  concurrency: string;
  resume?: boolean;
  baseline?: string;
  queue?: string;
}

/** `berth batch <machine> --cases <dir|list> --out <dir>`: a dataset through a local pool of runs. */
export function registerBatch(program: Command): void {
  const command = program.command('batch');
  addDriverOptions(addLaunchOptions(command))
    .description(
      'run a machine over a dataset of cases, N at a time, resumable, with one report per case and one for the batch',
    )
    .argument('<machine>', 'a machine directory (with machine.yaml) or its manifest')
    .option('--cases <dir|list>', 'a folder of cases, or a file listing case paths (one a line); required')
    .option('--out <dir>', 'where each case folder and the batch report go; required')
    .option('--timeout <duration>', "overrides the manifest's timeout, per case")
    .option('--concurrency <n>', `cases run at once (1–${MAX_CONCURRENCY})`, '1')
    .option('--resume', 'skip the cases already finished in --out (by their .complete marker)')
    .option(
      '--baseline <machine-or-image>',
      'also run every case through this previous version (a machine directory or manifest, else an image) and list the cases whose outputs changed',
    )
    // --- queue mode (src/cli/batch-queue.ts) ---
    .option(
      '--queue <url>',
      'only enqueue the cases in this Redis (redis://host:port) for berth worker, and follow them',
    )
    .action(async (machine: string, flags: BatchFlags) => {
      // Checked here, not by commander, which would ask them of `batch status` … too.
      const missing = (['cases', 'out'] as const).find((k) => flags[k] === undefined);
      if (missing) {
        process.exitCode = reportError(
          new BerthError('BERTH_E_USAGE', `berth batch needs --${missing}`, {
            expected: `--${missing} <dir>`,
          }),
          false,
        );
        return;
      }
      if (flags.baseline && isS3Uri(flags.out!)) {
        process.exitCode = reportError(
          new BerthError(
            'BERTH_E_USAGE',
            '--baseline compares outputs in a local --out folder, not in s3://',
            {
              expected: '--out <dir> with --baseline',
            },
          ),
          false,
        );
        return;
      }
      if (flags.queue && flags.baseline) {
        process.exitCode = reportError(
          new BerthError('BERTH_E_USAGE', '--baseline runs in the embedded mode only, not with --queue', {
            expected: '--queue or --baseline',
          }),
          false,
        );
        return;
      }
      process.exitCode = flags.queue
        ? await queuedBatch(machine, { ...flags, queue: flags.queue })
        : await batch(machine, flags);
    });
  registerBatchQueueCommands(command);
  // --- end queue mode ---
}

/** First SIGINT: finish the running cases, start no other. A second one, or SIGTERM: kill them. */
function onSignals(control: BatchControl, note: (text: string) => void): () => void {
  const interrupt = (): void => {
    if (control.stopping) {
      note('berth batch: killing the running cases (they run again on --resume)');
      control.kill();
    } else {
      note(
        `berth batch: stopping — ${control.running} running case(s) finish, no other starts (Ctrl-C again to kill them)`,
      );
      control.stop();
    }
  };
  const terminate = (): void => control.kill();
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', terminate);
  return () => {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', terminate);
  };
}

async function batch(machineArg: string, flags: BatchFlags): Promise<number> {
  try {
    const concurrency = parseWholeNumber('--concurrency', flags.concurrency, 1, MAX_CONCURRENCY);
    const machine = await resolveMachine(machineArg);
    const cases = await listCases(flags.cases);
    const storage = await openStorage(flags.out);
    const progress = process.stdout.isTTY ? terminalProgress(process.stdout) : lineProgress(process.stdout);
    const control = new BatchControl();
    const release = onSignals(control, (t) => progress.note(t));
    let result;
    try {
      const options: BatchOptions = {
        cases,
        storage,
        concurrency,
        resume: flags.resume === true,
        progress,
        control,
        settings: {
          machine,
          driver: flags.driver,
          ...launchOverrides(flags),
          ...(flags.timeout ? { timeoutMs: parseDuration(flags.timeout) } : {}),
          ...driverSettings(flags),
        },
      };
      // --baseline: the previous version runs first, into <out>/.baseline; the report compares the two.
      const extend = flags.baseline ? await runBaseline(flags.baseline, options) : undefined;
      result = await runBatch(extend ? { ...options, extend } : options);
    } finally {
      release();
    }
    const { counts } = result.report;
    const failed = counts.finished - counts.passed;
    const { baseline } = result.report;
    const changed = baseline
      ? `; ${baseline.changed.length} of ${baseline.compared} changed from the baseline`
      : '';
    await writeOut(
      `${counts.passed} passed, ${failed} failed, ${counts.pending} pending of ${counts.total} ` +
        `(${result.ran} run now)${changed}; report: ${storage.location}/${BATCH_FILES.html}\n`,
    );
    if (control.stopping && counts.pending > 0) return EXIT_INTERRUPTED;
    const same = (baseline?.changed.length ?? 0) === 0;
    return failed === 0 && counts.pending === 0 && same ? EXIT.ok : EXIT.findings;
  } catch (e) {
    return reportError(e, false);
  }
}
