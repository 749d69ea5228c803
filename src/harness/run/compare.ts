/**
 * The compare stage, for valid outputs: with `--deidentify`, first re-identified (deid-stage.ts);
 * then compared with the case's expected outputs, when it has any (inline expected values were
 * materialised over a copy of its expected tree).
 */
import path from 'node:path';
import type { DeidRun } from '../deid-stage.js';
import type { Run } from './case.js';

/** Compares the outputs with the expected ones into the report and the run's facts. */
export async function compareOutputs(run: Run, deid: DeidRun | undefined): Promise<void> {
  const { options, dirs, report } = run;
  if (deid) report.notices.push(...(await deid.reidentify(dirs.output, run.workDir)));
  const expectedDir = options.case.expectedOutputs ? dirs.expected : options.case.expectedDir;
  if (!expectedDir) return;
  if (options.compare) {
    run.emit({ type: 'stage', stage: 'compare' });
    if (report.trees) report.trees.expected = expectedDir;
    report.comparisons = await options.compare(options.definition, expectedDir, dirs.output, {
      tolerances: options.case.tolerances,
      assetsDir: options.assetsDir ?? path.join(run.workDir, 'assets'),
    });
  }
  run.facts.comparisons = report.comparisons;
}
