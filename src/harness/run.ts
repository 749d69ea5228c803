/**
 * A run, as its list of stages (each a module of harness/run/): the case's run folder, materialise,
 * preflight, deidentify, launch, watch, capture, collect, compare — and after each, the one verdict
 * (run/verdict.ts, which `berth exec` shares) says whether the run stops there.
 */
import { closeRun, openRun } from './run/case.js';
import { captureStreams } from './run/capture.js';
import { collectOutputs, collectProcess } from './run/collect.js';
import { compareOutputs } from './run/compare.js';
import { assertLaunchable, launch } from './run/launch.js';
import { materialiseCase } from './run/materialise.js';
import type { RunOptions, RunResult } from './run/options.js';
import { deidentifyInputs, preflight } from './run/preflight.js';
import { verdict } from './run/verdict.js';
import { watchMachine } from './run/watch.js';

export { STOP_GRACE_MS } from './run/options.js';
export type { Comparer, RunEvent, RunOptions, RunResult } from './run/options.js';

/**
 * Runs a machine on a case, exactly as the platform would: materialise the case into a fresh
 * input tree and check it (constraint violations stop the run as `not-applicable`, broken inputs
 * as `invalid-input`); launch through the driver; watch the status channel; enforce the timeout
 * (SIGTERM, then SIGKILL to the whole process group); capture stdout/stderr with a cap; check the
 * outputs; compare them with the expected ones. Never throws for anything the machine or the case
 * does: that is the report's outcome.
 */
export async function runCase(options: RunOptions): Promise<RunResult> {
  // Before anything is written: a driver that cannot run here, a missing image, stop the run.
  await assertLaunchable(options);
  const run = await openRun(options);
  const stops = () => verdict(run.facts) !== undefined;

  await materialiseCase(run);
  if (stops()) return closeRun(run);
  await preflight(run);
  if (stops()) return closeRun(run);
  const deid = await deidentifyInputs(run);
  if (stops()) return closeRun(run);

  const started = await launch(run);
  if (!started) return closeRun(run);
  const watching = watchMachine(run, started);
  const streams = captureStreams(started.launched.child, run.dirs.logs, options.captureBytes);
  await collectProcess(run, started.launched, watching, streams);
  if (stops()) return closeRun(run);

  await collectOutputs(run, deid);
  if (stops()) return closeRun(run);
  await compareOutputs(run, deid);
  return closeRun(run);
}
