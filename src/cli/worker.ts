import type { Command } from 'commander';
import { MAX_CONCURRENCY } from '../batch/pool.js';
import { DEFAULT_LOCK, identityOf, queueNameOf, type LockSettings } from '../batch/queue.js';
import { probeQueue } from '../batch/queue-connect.js';
import { startWorker } from '../batch/worker.js';
import { BerthError } from '../errors.js';
import { driverNamed } from '../harness/drivers/index.js';
import { launchPlan, resolveMachine, type MachineRef } from '../harness/machine.js';
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

interface WorkerFlags extends LaunchFlags, DriverFlags {
  queue: string;
  concurrency: string;
  timeout?: string;
  lockDuration: string;
  stalledInterval: string;
  maxStalled: string;
}

/** The lock settings of the flags (a lock under 1 s would be renewed more often than Redis answers under load). */
function lockOf(flags: WorkerFlags): LockSettings {
  const lock = {
    lockDuration: parseDuration(flags.lockDuration),
    stalledInterval: parseDuration(flags.stalledInterval),
    maxStalledCount: parseWholeNumber('--max-stalled', flags.maxStalled, 0, 100),
  };
  if (lock.lockDuration < 1000) {
    throw new BerthError('BERTH_E_USAGE', '--lock-duration must be at least 1s', { expected: 'e.g. 60s' });
  }
  return lock;
}

/** The driver can run the machine here: known, able to start it, available on this host. */
async function checkDriver(
  machine: MachineRef,
  flags: WorkerFlags,
  command: string[] | undefined,
): Promise<void> {
  const driver = driverNamed(flags.driver);
  launchPlan(machine, driver, command, flags.image);
  const why = await driver.unavailable(flags.engine ? { engine: flags.engine } : {});
  if (why) {
    throw new BerthError('BERTH_E_DRIVER_UNAVAILABLE', `The ${driver.name} driver cannot run here: ${why}`);
  }
}

/** `berth worker <machine> --queue URL`: runs queued cases of batches of this machine until stopped. */
export function registerWorker(program: Command): void {
  addDriverOptions(addLaunchOptions(program.command('worker'), '; jobs must name the same'))
    .description('take the cases of queued batches (berth batch --queue) and run them, N at a time')
    .argument('<machine>', 'the machine the batches run: a directory (with machine.yaml) or its manifest')
    .requiredOption('--queue <url>', 'the Redis to take jobs from (redis://host:port)')
    .option('--concurrency <n>', `cases run at once (1–${MAX_CONCURRENCY})`, '1')
    .option('--timeout <duration>', "overrides the manifest's timeout, per case (a job's own wins)")
    .option(
      '--lock-duration <duration>',
      'how long a job stays locked without renewal',
      `${DEFAULT_LOCK.lockDuration}ms`,
    )
    .option(
      '--stalled-interval <duration>',
      'how often expired locks (dead workers) are looked for',
      `${DEFAULT_LOCK.stalledInterval}ms`,
    )
    .option(
      '--max-stalled <n>',
      'how often a job may stall before it fails',
      String(DEFAULT_LOCK.maxStalledCount),
    )
    .action(async (machineArg: string, flags: WorkerFlags) => {
      try {
        const concurrency = parseWholeNumber('--concurrency', flags.concurrency, 1, MAX_CONCURRENCY);
        const lock = lockOf(flags);
        const machine = await resolveMachine(machineArg);
        const overrides = launchOverrides(flags);
        const command = overrides.command;
        const identity = await identityOf(machine, overrides);
        // A worker that cannot run its machine here stops now, rather than record every case it
        // takes as an `error` (a committed result, which a re-delivery or --resume would keep).
        await checkDriver(machine, flags, command);
        // Unreachable at start is a setup error; once running, a worker waits for Redis to come back.
        await probeQueue(flags.queue);
        const worker = startWorker({
          queue: flags.queue,
          concurrency,
          identity,
          lock,
          log: (line) => process.stdout.write(`${line}\n`),
          settings: {
            machine,
            driver: flags.driver,
            ...(command ? { command } : {}),
            // By its ID: what runs is the image whose identity the jobs were checked against.
            ...(identity.imageId ? { image: identity.imageId } : {}),
            ...(flags.engine ? { engine: flags.engine } : {}),
            ...(flags.timeout ? { timeoutMs: parseDuration(flags.timeout) } : {}),
            ...driverSettings(flags),
          },
        });
        process.stdout.write(
          `berth worker: taking jobs from ${flags.queue}, queue ${queueNameOf(identity)} ` +
            `(${concurrency} at a time)${identity.imageId ? `; image ${identity.imageId}` : ''}\n`,
        );
        await new Promise<void>((resolve) => {
          let signals = 0;
          const stop = (): void => {
            signals++;
            // First signal: finish the running jobs; a second: kill their machines (they run again).
            void worker.close(signals > 1).then(resolve, resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        await writeOut('berth worker: stopped\n');
        // BullMQ's connections to a lost Redis keep reconnecting (and the process alive): leave.
        process.exit(EXIT.ok);
      } catch (e) {
        process.exitCode = reportError(e, false);
      }
    });
}
