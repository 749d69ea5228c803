/**
 * The pre-flight stage: the input tree checked against the manifest before the machine starts
 * (constraint violations make the run not applicable, broken inputs invalid); then, with
 * `--deidentify`, the inputs de-identified (deid-stage.ts), so the machine sees only pseudonymous
 * DICOM. `berth exec` checks its inputs with the same {@link checkInputs}.
 */
import type { Finding } from '../../errors.js';
import type { MachineDefinition } from '../../check/manifest.js';
import { checkTree } from '../../check/tree.js';
import { DeidRun } from '../deid-stage.js';
import type { Run } from './case.js';

/** Every finding of an input tree: errors stop the run, warnings are reported. */
export function checkInputs(definition: MachineDefinition, inputDir: string): Promise<Finding[]> {
  return checkTree(definition, 'in', inputDir);
}

/** Checks the materialised input tree into the report and the run's facts. */
export async function preflight(run: Run): Promise<void> {
  run.emit({ type: 'stage', stage: 'preflight' });
  run.report.inputFindings = await checkInputs(run.options.definition, run.dirs.input);
  run.facts.inputFindings = [...run.report.inputFindings];
}

/** `--deidentify`: de-identifies the input tree in place; what it refuses stops the run. */
export async function deidentifyInputs(run: Run): Promise<DeidRun | undefined> {
  const settings = run.options.deidentify;
  if (!settings) return undefined;
  const deid = await DeidRun.start(settings, run.options.definition, run.dirs.input, run.workDir);
  run.report.deidentification = deid.run.report;
  if (deid.refusal) {
    run.report.inputFindings.push(...deid.refusal.findings);
    run.facts.deidRefusal = deid.refusal.findings;
  }
  return deid.run;
}
