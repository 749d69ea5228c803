import { spawn } from 'node:child_process';
import type { Driver, LaunchSpec, Launched } from './driver.js';
import { spawned } from './exit.js';
import { signalGroup, stopGroup } from './group.js';
import { newRunId, RUN_ID_VARIABLE, sweepRun } from './sweep.js';

/** Environment variables berth sets for machines; inherited values are never passed through. */
const BERTH_VARS = ['BERTH_INPUT', 'BERTH_OUTPUT', 'BERTH_STATUS', 'BERTH_MANIFEST', RUN_ID_VARIABLE];

/** Notices about the processes that outlived the machine (see sweep.ts). */
function leftovers(swept: { stopped: number; left: number }): string[] {
  const notices: string[] = [];
  if (swept.stopped > 0)
    notices.push(`${swept.stopped} process(es) the machine started outlived it and were killed`);
  if (swept.left > 0) {
    notices.push(
      `${swept.left} process(es) of the machine were still running after berth killed them; ` +
        'the sandbox and container drivers stop every process of a run',
    );
  }
  return notices;
}

/**
 * The `process` driver: runs the machine's command directly, with BERTH_INPUT/OUTPUT/STATUS
 * pointing at the run's fresh trees. Needs nothing installed, isolates nothing: the network is
 * open and the input tree is writable (use `sandbox` or `container` to enforce those).
 */
export const processDriver: Driver = {
  name: 'process',
  unavailable: () => Promise.resolve(undefined),
  async launch(spec: LaunchSpec): Promise<Launched> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of BERTH_VARS) delete env[k];
    const runId = spec.runId ?? newRunId();
    Object.assign(env, spec.env, {
      [RUN_ID_VARIABLE]: runId,
      BERTH_INPUT: spec.input,
      BERTH_OUTPUT: spec.output,
      BERTH_STATUS: spec.status,
      BERTH_MANIFEST: spec.manifest,
    });
    const [file, ...args] = spec.command;
    if (!file) throw new Error('empty command');
    // Its own process group, so a timeout can stop the machine and everything it started.
    const child = spawn(file, args, {
      cwd: spec.cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const notices: string[] = [
      'the process driver does not isolate the network or protect the input tree, and cannot stop ' +
        `a process that leaves the machine's session and clears ${RUN_ID_VARIABLE} from its environment`,
    ];
    if (spec.nvidia)
      notices.push('nvidia: true is not enforced by the process driver (the host GPU, if any, is visible)');
    await spawned(child);
    const pgid = child.pid;
    return {
      child,
      pgid,
      notices,
      stop: (graceMs) => stopGroup(child, pgid, graceMs),
      cleanup: async () => {
        // Whatever the machine left running goes with it: its group, and what left the group.
        if (pgid === undefined) return [];
        signalGroup(pgid, 'SIGKILL');
        return leftovers(await sweepRun(pgid, runId));
      },
    };
  },
};
