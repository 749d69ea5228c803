/**
 * An EIR dataset from a folder of berth cases: `<dataset>/<case>/input/` with `<case>/expected/`
 * (berth's case layout) or `<case>/output/`, one sample per case, the sample id being the case
 * directory's name. The dataset info comes from the manifest (./mapping.ts), shapes the manifest
 * leaves open from the cases themselves; every case is checked against the manifest at start,
 * so a bad case stops `berth stream` before EIR sees anything. See the README, "EIR stream".
 */
import { realpath } from 'node:fs/promises';
import type { MachineDefinition } from '../../check/manifest.js';
import { BerthError, finding, type Finding } from '../../errors.js';
import type { Side } from '../../kinds/property.js';
import { mapLimited } from '../../tree/entry.js';
import { checkCase, findCases, type CaseEntry } from './dataset-cases.js';
import {
  DEFAULT_SURVIVAL_COLUMNS,
  FolderDataset,
  type CaseDataset,
  type SurvivalColumns,
} from './dataset-sample.js';
import { settleShape } from './dataset-shape.js';
import { planEirFields, type EirField, type EirPlan } from './mapping.js';
import { checkDatasetInfo } from './protocol-checks.js';
import type { EirDatasetInfo, EirInputInfo, EirOutputInfo } from './protocol.js';

export { CASE_OUTPUT_DIRS, type CaseEntry } from './dataset-cases.js';
export { DEFAULT_SURVIVAL_COLUMNS, type CaseDataset, type SurvivalColumns } from './dataset-sample.js';

/** Options of {@link caseDataset}. */
export interface CaseDatasetOptions {
  /** Leave out properties EIR cannot take (listed as warnings) instead of refusing to start. */
  skipUnsupported?: boolean;
  /** Column names of survival targets. Default `Event` / `Time`, as EIR's docs. */
  survivalColumns?: SurvivalColumns;
  /** Cases checked at once at start. Default 8. */
  concurrency?: number;
}

/** Why a dataset cannot be served: every error found at start, with codes and paths. */
export class EirDatasetError extends BerthError {
  constructor(
    /** Every finding (errors and warnings). */
    readonly findings: Finding[],
    dir: string,
  ) {
    const errors = findings.filter((f) => f.severity === 'error');
    const first = errors[0]!;
    super(
      first.code,
      `The EIR dataset has ${errors.length} problem(s); first: ${first.message}` +
        (first.property === undefined ? '' : ` (${first.property})`) +
        (first.path === undefined ? '' : ` (${first.path})`),
      { path: dir },
    );
  }
}

/**
 * Opens a dataset folder for streaming to EIR: maps the manifest, finds the cases, checks every
 * case's trees against the manifest, settles the shapes of arrays and images, and builds the
 * dataset info.
 * @throws {@link EirDatasetError} listing every problem (BERTH_E_EIR_UNSUPPORTED,
 * BERTH_E_EIR_DATASET, BERTH_E_EIR_CASE, BERTH_E_EIR_SHAPE, BERTH_E_EIR_VALUE and checkTree's codes).
 */
export async function caseDataset(
  definition: MachineDefinition,
  datasetDir: string,
  options: CaseDatasetOptions = {},
): Promise<CaseDataset> {
  const { dataset, findings } = await inspectCaseDataset(definition, datasetDir, options);
  if (dataset === undefined) throw new EirDatasetError(findings, datasetDir);
  return dataset;
}

/** {@link caseDataset} without throwing: the dataset when usable, and every finding. */
export async function inspectCaseDataset(
  definition: MachineDefinition,
  datasetDir: string,
  options: CaseDatasetOptions = {},
): Promise<{ dataset?: CaseDataset; findings: Finding[] }> {
  const findings: Finding[] = [];
  const plan = planEirFields(definition, options);
  findings.push(...plan.unsupported);
  if (plan.inputs.length === 0 && plan.outputs.length === 0) {
    findings.push(
      finding('BERTH_E_EIR_UNSUPPORTED', 'No property of the manifest maps to an EIR modality', {
        path: datasetDir,
      }),
    );
  }
  const cases = await findCases(datasetDir, findings);
  const failed = new Set<string>();
  await mapLimited(cases, options.concurrency ?? 8, async (c) => {
    const found = await checkCase(definition, c);
    findings.push(...found);
    if (found.some((f) => f.severity === 'error')) failed.add(c.id);
  });
  const usable = cases.filter((c) => !failed.has(c.id));
  const shapes = new Map<EirField, number[]>();
  for (const field of [...plan.inputs, ...plan.outputs]) {
    const side: Side = plan.inputs.includes(field) ? 'in' : 'out';
    const shape = await settleShape(field, side, usable, findings, failed.size === 0 && cases.length > 0);
    if (shape !== undefined) shapes.set(field, shape);
  }
  const hasErrors = findings.some((f) => f.severity === 'error');
  sortFindings(findings);
  if (hasErrors) return { findings };
  const info = buildInfo(plan, shapes);
  const problems = checkDatasetInfo(info);
  if (problems.length > 0) {
    // The planner and the shape scan should make this impossible; a failure here is a bug.
    throw new BerthError('BERTH_E_INTERNAL', `berth built a dataset info EIR cannot use: ${problems[0]}`);
  }
  const dataset = new FolderDataset(
    plan,
    info,
    shapes,
    cases,
    findings,
    await realRoots(cases),
    options.survivalColumns ?? DEFAULT_SURVIVAL_COLUMNS,
  );
  return { dataset, findings };
}

function sortFindings(findings: Finding[]): void {
  const rank = (f: Finding) => (f.severity === 'error' ? 0 : 1);
  findings.sort((a, b) => rank(a) - rank(b) || (a.path ?? '').localeCompare(b.path ?? ''));
}

function buildInfo(plan: EirPlan, shapes: ReadonlyMap<EirField, number[]>): EirDatasetInfo {
  const inputs: Record<string, EirInputInfo> = {};
  for (const f of plan.inputs) {
    const shape = shapes.get(f);
    inputs[f.property.name] =
      f.modality === 'survival'
        ? { type: 'tabular' } // unreachable: the planner makes survival inputs tabular
        : { type: f.modality, ...(shape ? { shape } : {}) };
  }
  const outputs: Record<string, EirOutputInfo> = {};
  for (const f of plan.outputs) {
    const shape = shapes.get(f);
    outputs[f.property.name] =
      f.modality === 'omics'
        ? { type: 'array', ...(shape ? { shape } : {}) }
        : { type: f.modality, ...(shape ? { shape } : {}) };
  }
  return { inputs, outputs };
}

async function realRoots(cases: readonly CaseEntry[]): Promise<Map<string, { in: string; out: string }>> {
  const roots = new Map<string, { in: string; out: string }>();
  for (const c of cases)
    roots.set(c.id, { in: await realpath(c.inputDir), out: await realpath(c.outputDir) });
  return roots;
}
