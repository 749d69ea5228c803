/**
 * A machine that outlived a berth killed with SIGKILL (`berth listen` taken up again): found by
 * what the caller recorded before the launch ({@link LaunchRecord}, `runId` given to the driver as
 * `LaunchSpec.runId`) and stopped, so it neither runs beside its own re-run nor writes on into the
 * spool.
 *   process:   every process carrying BERTH_RUN_ID=<runId>, and the groups and sessions they
 *              lead (a process that clears the variable after `setsid` is beyond reach, as in sweep.ts);
 *   container: the container `berth-run-<runId>`, removed by force (the recorded engine, else each);
 *   sandbox:   nothing to do — bwrap runs with --die-with-parent, so the kernel stopped it with berth.
 */
import { engineEnv, ENGINES, runContainerName, type Engine } from './container.js';
import { runShort } from './short-command.js';
import { isRunId, sweepRunId } from './sweep.js';

/** What identifies a launched machine after berth itself is gone; recorded before the launch. */
export interface LaunchRecord {
  /** The driver's name (`process`, `sandbox`, `container`). */
  readonly driver: string;
  /** The id given to the driver (`LaunchSpec.runId`). */
  readonly runId: string;
  /** Container driver: the engine named (`--engine`), when one was. */
  readonly engine?: string;
}

/** Where the container engines keep their state (defaults: berth's own podman store, this env). */
export interface OrphanOptions {
  readonly stateDir?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Removes the container `name` by force: whether it was there, and whether the engine answered. */
async function removeContainer(
  engine: Engine,
  name: string,
  o: OrphanOptions,
): Promise<'removed' | 'absent' | 'failed'> {
  const { env } = await engineEnv(engine, o.stateDir, o.env);
  const args = engine === 'podman' ? ['rm', '-f', '-i', '-t', '0', name] : ['rm', '-f', name];
  const r = await runShort(engine, args, env, 60_000);
  if (r.error?.code === 'ENOENT') return 'absent'; // not installed: it runs nothing
  if (r.code === 0) return r.stdout.includes(name) ? 'removed' : 'absent';
  // No such container, or no daemon to run one (docker): nothing of it runs.
  return /no such container|cannot connect to the docker daemon/i.test(r.stderr) ? 'absent' : 'failed';
}

/**
 * Stops the machine of `record` if it is still running; returns what was done, in words (empty
 * when nothing was left). Never throws for a machine already gone.
 */
export async function stopOrphan(record: LaunchRecord, o: OrphanOptions = {}): Promise<string[]> {
  if (!isRunId(record.runId)) return [`not a run id: ${JSON.stringify(record.runId)}; nothing stopped`];
  switch (record.driver) {
    case 'process': {
      const { stopped, left } = await sweepRunId(record.runId);
      const notes: string[] = [];
      if (stopped > 0) notes.push(`stopped ${stopped} process(es) of the machine left running`);
      if (left > 0) notes.push(`${left} process(es) of the machine were still running after SIGKILL`);
      return notes;
    }
    case 'container': {
      const name = runContainerName(record.runId);
      const engines = ENGINES.filter((e) => record.engine === undefined || e === record.engine);
      const notes: string[] = [];
      for (const engine of engines) {
        const done = await removeContainer(engine, name, o);
        if (done === 'removed') notes.push(`removed the container ${name} (${engine}) left running`);
        if (done === 'failed') notes.push(`could not remove the container ${name} with ${engine}`);
      }
      return notes;
    }
    case 'sandbox':
      return []; // bwrap --die-with-parent: gone with berth
    default:
      // The state file is read from disk: a driver berth does not know launched nothing it can find.
      return [`unknown driver ${JSON.stringify(record.driver)} in the launch record; nothing stopped`];
  }
}
