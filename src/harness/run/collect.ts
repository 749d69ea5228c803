/**
 * The collect stage, once the machine has exited: its processes cleaned up, its streams settled,
 * its use and its last status read into the report; then its output tree checked against the
 * manifest (with the input UIDs, for the DICOM output rules). `berth exec` checks its outputs
 * with the same {@link checkOutputs}.
 */
import type { Finding } from '../../errors.js';
import type { MachineDefinition } from '../../check/manifest.js';
import { checkTree } from '../../check/tree.js';
import type { DeidRun } from '../deid-stage.js';
import type { Launched } from '../drivers/driver.js';
import { CAPTURE_GRACE_MS, settleCaptures, type Capturing } from './capture.js';
import type { Run } from './case.js';
import type { Watching } from './watch.js';

/** Every finding of an output tree, against the manifest and the input tree beside it. */
export function checkOutputs(
  definition: MachineDefinition,
  outputDir: string,
  inputDir: string,
): Promise<Finding[]> {
  return checkTree(definition, 'out', outputDir, {
    inputs: { root: inputDir, properties: definition.inputs },
  });
}

/** Waits for the machine to exit, then records how it ended, what it printed, used and said. */
export async function collectProcess(
  run: Run,
  launched: Launched,
  watching: Watching,
  streams: Capturing,
): Promise<void> {
  const { report } = run;
  const end = await watching.exited;
  run.emit({ type: 'stage', stage: 'collect' });
  const measured = await watching.stopSampling();
  report.notices.push(...((await launched.cleanup()) ?? []));
  // What outlived the machine may hold its pipes: read them a short while more (the whole grace
  // even past the timeout: a stopped machine's last lines are often still in the pipe).
  const settled = await settleCaptures(streams, CAPTURE_GRACE_MS);
  report.notices.push(...settled.notices);
  const [stdout, stderr] = settled.captured;
  report.stdout = stdout ?? null;
  report.stderr = stderr ?? null;
  report.status = await watching.stop();
  report.usage = {
    wallMs: end.wallMs,
    cpuMs: measured?.cpuMs ?? null,
    peakRssBytes: measured?.peakRssBytes ?? null,
  };
  const timedOut = watching.timedOut();
  report.process = { exitCode: end.code, signal: end.signal, timedOut, stoppedByBerth: timedOut };
  run.facts.process = {
    code: end.code,
    signal: end.signal,
    ...(timedOut ? { timedOutAfterMs: run.timeoutMs } : {}),
  };
  if (report.status.error) run.facts.statusError = report.status.error;
}

/** Checks the output tree (and, with `--deidentify`, scans it for leaks) into the report. */
export async function collectOutputs(run: Run, deid: DeidRun | undefined): Promise<void> {
  const { report, dirs, options } = run;
  report.outputFindings = await checkOutputs(options.definition, dirs.output, dirs.input);
  if (deid) report.outputFindings.push(...(await deid.leakCheck(dirs.output)));
  run.facts.outputFindings = report.outputFindings;
}
