/**
 * The materialise stage: the case's input values and trees into the run's input tree, and its
 * inline expected values over a copy of its expected tree. A case that cannot be materialised is
 * a fact for the verdict (not applicable, or broken input), never an exception.
 */
import { isBerthError } from '../../errors.js';
import { copyTree, materialiseValues } from '../materialise.js';
import type { Run } from './case.js';

/** Writes the case's trees; records what stopped it in the run's facts and input findings. */
export async function materialiseCase(run: Run): Promise<void> {
  run.emit({ type: 'stage', stage: 'materialise' });
  try {
    await writeCase(run);
  } catch (e) {
    if (!isBerthError(e)) throw e;
    const f = e.toFinding();
    run.report.inputFindings.push(f);
    run.facts.caseError = f;
  }
}

async function writeCase({ options, dirs }: Run): Promise<void> {
  const c = options.case;
  if (c.inputDir) await copyTree(c.inputDir, dirs.input);
  const materialise = {
    baseDir: c.baseDir,
    ...(options.caseNotice ? { notice: options.caseNotice } : {}),
    // A machine that cannot write its input may see the case's own files (hard links, no copies).
    ...(options.driver.inputReadOnly ? { linkDicom: true } : {}),
  };
  if (c.inputs) await materialiseValues(options.definition.inputs, c.inputs, dirs.input, materialise);
  if (c.expectedOutputs) {
    if (c.expectedDir) await copyTree(c.expectedDir, dirs.expected);
    await materialiseValues(options.definition.outputs, c.expectedOutputs, dirs.expected, materialise);
  }
}
