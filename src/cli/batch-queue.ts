/**
 * The queue side of `berth batch`: `berth batch <machine> … --queue redis://…` (enqueue, follow,
 * report) and `berth batch status|retry-failed|report --queue … --out …`.
 */
import type { Command } from 'commander';
import { listCases } from '../batch/cases.js';
import { BATCH_FILES } from '../batch/job.js';
import { lineProgress, terminalProgress } from '../batch/progress.js';
import { identityOf } from '../batch/queue.js';
import { batchStatus, reportBatch, retryFailed } from '../batch/queue-admin.js';
import { runQueuedBatch } from '../batch/queue-batch.js';
import { openStorage, storageAt } from '../batch/open-storage.js';
import { resolveMachine } from '../harness/machine.js';
import { EXIT, reportError, writeOut } from './output.js';
import { launchOverrides, parseDuration } from './run-options.js';

/** The flags of `berth batch` the queue mode reads. */
export interface QueueBatchFlags {
  cases: string;
  out: string;
  queue: string;
  image?: string;
  engine?: string;
  cmd?: string;
  timeout?: string;
  resume?: boolean;
}

/** The exit code of a batch stopped by Ctrl-C or SIGTERM, embedded or queued (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;

/** `berth batch <machine> --queue URL`: enqueue the cases, follow them, write the report. */
export async function queuedBatch(machineArg: string, flags: QueueBatchFlags): Promise<number> {
  const stop = { stopping: false };
  const onSignal = (): void => {
    stop.stopping = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const machine = await resolveMachine(machineArg);
    const identity = await identityOf(machine, launchOverrides(flags));
    const cases = await listCases(flags.cases);
    const storage = await openStorage(flags.out);
    const progress = process.stdout.isTTY ? terminalProgress(process.stdout) : lineProgress(process.stdout);
    const result = await runQueuedBatch({
      queue: flags.queue,
      cases,
      storage,
      identity,
      meta: {
        machine: { name: machine.definition.settings.name, manifest: machine.manifestPath },
        ...(flags.image ? { image: flags.image } : {}),
      },
      ...(flags.timeout ? { timeoutMs: parseDuration(flags.timeout) } : {}),
      resume: flags.resume === true,
      progress,
      stop,
    });
    const { counts } = result.report;
    const failed = counts.finished - counts.passed;
    await writeOut(
      `${counts.passed} passed, ${failed} failed, ${counts.pending} pending of ${counts.total}` +
        `${result.failedJobs.length ? ` (${result.failedJobs.length} queue job(s) failed)` : ''}; ` +
        `batch ${result.batch}; report: ${storage.location}/${BATCH_FILES.html}\n`,
    );
    if (stop.stopping && counts.pending > 0) return EXIT_INTERRUPTED;
    return failed === 0 && counts.pending === 0 ? EXIT.ok : EXIT.findings;
  } catch (e) {
    return reportError(e, false);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

interface QueueFlags {
  queue: string;
  out: string;
}

function queueCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .requiredOption('--queue <url>', 'the Redis the batch was enqueued in (redis://host:port)')
    .requiredOption('--out <dir>', "the batch's --out folder (it names the batch)");
}

/** `berth batch status|retry-failed|report --queue URL --out DIR`. */
export function registerBatchQueueCommands(batch: Command): void {
  queueCommand(batch, 'status', "count a queued batch's jobs by state").action(async (flags: QueueFlags) => {
    try {
      const counts = await batchStatus(flags.queue, flags.out);
      await writeOut(
        Object.entries(counts)
          .map(([state, n]) => `${state} ${n}`)
          .join(', ') + '\n',
      );
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = reportError(e, false);
    }
  });
  queueCommand(batch, 'retry-failed', "put a queued batch's failed jobs back in the queue").action(
    async (flags: QueueFlags) => {
      try {
        await writeOut(`${await retryFailed(flags.queue, flags.out)} failed job(s) queued again\n`);
        process.exitCode = EXIT.ok;
      } catch (e) {
        process.exitCode = reportError(e, false);
      }
    },
  );
  queueCommand(batch, 'report', 'rebuild batch.json and batch.html of a queued batch').action(
    async (flags: QueueFlags) => {
      try {
        const storage = storageAt(flags.out);
        const report = await reportBatch(flags.queue, storage);
        const { counts } = report;
        await writeOut(
          `${counts.finished} finished, ${counts.pending} pending of ${counts.total}; report: ${storage.location}/${BATCH_FILES.html}\n`,
        );
        process.exitCode = EXIT.ok;
      } catch (e) {
        process.exitCode = reportError(e, false);
      }
    },
  );
}
