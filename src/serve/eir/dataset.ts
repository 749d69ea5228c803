/**
 * An EIR dataset from a folder of berth cases: `<dataset>/<case>/input/` with `<case>/expected/`
 * (berth's case layout) or `<case>/output/`, one sample per case, the sample id being the case
 * directory's name. The dataset info comes from the manifest (./mapping.ts), shapes the manifest
 * leaves open from the cases themselves; every case is checked against the manifest at start,
 * so a bad case stops `berth stream` before EIR sees anything. See the README, "EIR stream".
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { dicomTreeCheck } from '../../check/dicom.js';
import type { MachineDefinition } from '../../check/manifest.js';
import { checkTree } from '../../check/tree.js';
import { BerthError, finding, type Finding } from '../../errors.js';
import type { FileHandle } from '../../kinds/file-handle.js';
import type { Property, Side } from '../../kinds/property.js';
import type { JsonObject, JsonValue } from '../../manifest/document.js';
import type { NdArray } from '../../ndarray/ndarray.js';
import { readNpyHeader } from '../../ndarray/npy.js';
import { readObject, readValue, type ReadScope } from '../../sdk/read-value.js';
import { float32Base64, omicsBase64, tabularCell } from './encode.js';
import { imageFormatOf, imageShapeOf, jpegToPng, readImageShape } from './image.js';
import { planEirFields, type EirField, type EirPlan } from './mapping.js';
import { checkDatasetInfo, checkSampleIds } from './protocol.js';
import type {
  EirDatasetInfo,
  EirInputInfo,
  EirInputValue,
  EirOutputInfo,
  EirSample,
  EirSampleSource,
  EirTargetValue,
} from './protocol.js';

/** The names a case's output tree may have, in the order they are looked for. */
export const CASE_OUTPUT_DIRS = ['expected', 'output'] as const;

/** EIR's survival columns: they come from EIR's config (`event_column`, `time_column`). */
export interface SurvivalColumns {
  event: string;
  time: string;
}

/** The columns EIR's streaming docs use. */
export const DEFAULT_SURVIVAL_COLUMNS: SurvivalColumns = { event: 'Event', time: 'Time' };

/** Options of {@link caseDataset}. */
export interface CaseDatasetOptions {
  /** Leave out properties EIR cannot take (listed as warnings) instead of refusing to start. */
  skipUnsupported?: boolean;
  /** Column names of survival targets. Default `Event` / `Time`, as EIR's docs. */
  survivalColumns?: SurvivalColumns;
  /** Cases checked at once at start. Default 8. */
  concurrency?: number;
}

/** One case of the dataset. */
export interface CaseEntry {
  /** The sample id: the case directory's name. */
  readonly id: string;
  readonly dir: string;
  readonly inputDir: string;
  /** `expected/` or `output/`. */
  readonly outputDir: string;
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

/** A dataset ready to serve. */
export interface CaseDataset extends EirSampleSource {
  /** The cases, in sample order (by name, code point order). */
  readonly cases: readonly CaseEntry[];
  /** What was found at start that does not stop serving: skipped properties, conversions. */
  readonly warnings: readonly Finding[];
  /** The mapping of properties to modalities. */
  readonly plan: EirPlan;
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
  await forEach(cases, options.concurrency ?? 8, async (c) => {
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

/** Runs `job` over `items`, at most `limit` at once. */
async function forEach<T>(
  items: readonly T[],
  limit: number,
  job: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await job(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

async function isDirectory(p: string, dirent?: Dirent): Promise<boolean> {
  if (dirent && !dirent.isSymbolicLink()) return dirent.isDirectory();
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The case directories of a dataset, sorted by name. Entries that are not directories (a README,
 * the manifest) and hidden ones (`.git`) are not cases. A case needs `input/` and exactly one of
 * `expected/` and `output/`.
 */
async function findCases(datasetDir: string, findings: Finding[]): Promise<CaseEntry[]> {
  const root = path.resolve(datasetDir);
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    findings.push(
      finding(
        'BERTH_E_EIR_DATASET',
        code === 'ENOENT'
          ? 'The dataset folder does not exist'
          : `The dataset folder cannot be listed (${code ?? 'error'})`,
        { path: root, expected: 'a directory of case directories' },
      ),
    );
    return [];
  }
  const cases: CaseEntry[] = [];
  const names = entries.filter((d) => !d.name.startsWith('.')).sort((a, b) => cmp(a.name, b.name));
  for (const d of names) {
    const dir = path.join(root, d.name);
    if (!(await isDirectory(dir, d))) continue;
    const inputDir = path.join(dir, 'input');
    const outs: string[] = [];
    for (const name of CASE_OUTPUT_DIRS)
      if (await isDirectory(path.join(dir, name))) outs.push(path.join(dir, name));
    const hasInput = await isDirectory(inputDir);
    if (!hasInput || outs.length !== 1) {
      const missing = [
        ...(hasInput ? [] : ['input/']),
        ...(outs.length === 0 ? ['expected/ (or output/)'] : []),
      ];
      findings.push(
        finding(
          'BERTH_E_EIR_CASE',
          outs.length > 1
            ? `Case ${d.name} has both expected/ and output/; EIR would get one of them by chance`
            : `Case ${d.name} has no ${missing.join(' and no ')}`,
          { path: dir, expected: 'input/ and one of expected/ or output/' },
        ),
      );
      continue;
    }
    cases.push({ id: d.name, dir, inputDir, outputDir: outs[0]! });
  }
  for (const problem of checkSampleIds(cases.map((c) => c.id))) {
    findings.push(finding('BERTH_E_EIR_CASE', `Case name: ${problem}`, { path: root }));
  }
  if (cases.length === 0 && !findings.some((f) => f.code === 'BERTH_E_EIR_DATASET')) {
    findings.push(
      finding('BERTH_E_EIR_DATASET', 'The dataset folder holds no case', {
        path: root,
        expected: 'directories <case>/input/ with <case>/expected/ or <case>/output/',
      }),
    );
  }
  return cases;
}

/** Code point order: the same on every machine and locale. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Both trees of a case against the manifest (DICOM properties too, although they are not streamed). */
async function checkCase(definition: MachineDefinition, c: CaseEntry): Promise<Finding[]> {
  const [inFindings, outFindings] = await Promise.all([
    checkTree(definition, 'in', c.inputDir, { dicom: dicomTreeCheck(), concurrency: 16 }),
    checkTree(definition, 'out', c.outputDir, {
      dicom: dicomTreeCheck({ inputs: { root: c.inputDir, properties: definition.inputs } }),
      concurrency: 16,
    }),
  ]);
  return [...inFindings, ...outFindings];
}

/** Does the entry exist (without following a final symlink)? */
async function present(abs: string): Promise<boolean> {
  try {
    await lstat(abs);
    return true;
  } catch {
    return false;
  }
}

function treeOf(c: CaseEntry, side: Side): string {
  return side === 'in' ? c.inputDir : c.outputDir;
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((n) => n ?? '*').join(', ')}]`;
}

/**
 * The shape EIR's dataset info gets for an array, omics or image field. A fully declared ndarray
 * shape is used as is (checkTree has held every case to it). Otherwise every case holding a value
 * must agree, and the agreed shape is used; for images (`[H, W, C]`) there is never a declared
 * shape, so the cases always decide. Also reports arrays of dtypes sent as float32.
 */
async function settleShape(
  field: EirField,
  side: Side,
  cases: readonly CaseEntry[],
  findings: Finding[],
  allUsable: boolean,
): Promise<number[] | undefined> {
  if (field.modality !== 'array' && field.modality !== 'omics' && field.modality !== 'image')
    return undefined;
  const p = field.property;
  const declared = field.modality === 'image' ? undefined : p.ndarray?.shape;
  const known = declared !== undefined && declared.every((n) => n !== null);
  const needShapes = !known;
  const needDtypes = field.modality === 'array' && p.ndarray?.dtype === undefined;
  if (field.modality === 'array' && p.ndarray?.dtype !== undefined && p.ndarray.dtype !== 'float32') {
    findings.push(
      finding('BERTH_E_EIR_CONVERTED', `${p.path} is ${p.ndarray.dtype}; EIR gets it as float32`, {
        severity: 'warning',
        property: p.path,
      }),
    );
  }
  if (!needShapes && !needDtypes) return declared as number[];
  const byShape = new Map<string, { shape: number[]; ids: string[] }>();
  const fileOf = (id: string): string =>
    path.join(
      treeOf(
        cases.find((c) => c.id === id)!,
        side,
      ),
      p.name,
    );
  const dtypes = new Map<string, string[]>();
  await forEach(cases, 16, async (c) => {
    const abs = path.join(treeOf(c, side), p.name);
    if (!(await present(abs))) return; // an absent nullable value; checkTree passed the case
    let shape: number[];
    try {
      if (field.modality === 'image') shape = (await readImageShape(abs)).shape;
      else {
        const header = await readNpyHeader(abs);
        shape = header.shape;
        const list = dtypes.get(header.dtype) ?? [];
        list.push(c.id);
        dtypes.set(header.dtype, list);
      }
    } catch (e) {
      findings.push(toFinding(e, abs, p));
      return;
    }
    const key = JSON.stringify(shape);
    const entry = byShape.get(key) ?? { shape, ids: [] };
    entry.ids.push(c.id);
    byShape.set(key, entry);
  });
  for (const [dtype, ids] of dtypes) {
    if (dtype === 'complex64' || dtype === 'complex128') {
      findings.push(
        finding('BERTH_E_EIR_VALUE', `${p.path} is ${dtype} in ${describeIds(ids)}; EIR arrays are real`, {
          property: p.path,
          path: fileOf([...ids].sort(cmp)[0]!),
          expected: 'a real dtype (sent as float32)',
        }),
      );
    } else if (dtype !== 'float32') {
      findings.push(
        finding(
          'BERTH_E_EIR_CONVERTED',
          `${p.path} is ${dtype} in ${describeIds(ids)}; EIR gets it as float32`,
          {
            severity: 'warning',
            property: p.path,
          },
        ),
      );
    }
  }
  if (!needShapes) return declared as number[];
  // Most common shape first, ties by first case name, so the message and path never depend on timing.
  for (const g of byShape.values()) g.ids.sort(cmp);
  const groups = [...byShape.values()].sort(
    (a, b) => b.ids.length - a.ids.length || cmp(a.ids[0]!, b.ids[0]!),
  );
  const what = field.modality === 'image' ? 'image' : 'array';
  if (groups.length === 0) {
    // With failed cases, the shape may lie in them: their findings come first.
    if (!allUsable) return undefined;
    findings.push(
      finding('BERTH_E_EIR_SHAPE', `No case holds ${p.path}, so its ${what} shape for EIR is unknown`, {
        property: p.path,
        expected: declared
          ? `a case with shape ${shapeText(declared)}`
          : `at least one case with the ${what}`,
      }),
    );
    return undefined;
  }
  if (groups.length > 1) {
    findings.push(
      finding(
        'BERTH_E_EIR_SHAPE',
        `Cases disagree on the ${what} shape of ${p.path}: ` +
          groups.map((g) => `${shapeText(g.shape)} in ${describeIds(g.ids)}`).join('; ') +
          (declared ? ` (declared ${shapeText(declared)})` : ''),
        {
          property: p.path,
          path: fileOf(groups[1]!.ids[0]!),
          expected: `the same shape in every case (EIR's dataset info has one shape per ${what})`,
        },
      ),
    );
    return undefined;
  }
  const shape = groups[0]!.shape;
  if (field.modality === 'omics' && shape.length !== 2) {
    findings.push(
      finding(
        'BERTH_E_EIR_SHAPE',
        `${p.path} is a bool ndarray of shape ${shapeText(shape)}; EIR omics are 2-D`,
        {
          property: p.path,
          path: fileOf(groups[0]!.ids[0]!),
          expected:
            'a 2-D bool array, or a shape in the manifest with other than two extents (sent as array)',
        },
      ),
    );
    return undefined;
  }
  if (shape.length === 0) {
    findings.push(
      finding('BERTH_E_EIR_SHAPE', `${p.path} is 0-d; EIR needs a shape with at least one extent`, {
        property: p.path,
        path: fileOf(groups[0]!.ids[0]!),
      }),
    );
    return undefined;
  }
  return shape;
}

function describeIds(ids: readonly string[]): string {
  const sorted = [...ids].sort(cmp);
  const shown = sorted.slice(0, 5).join(', ');
  return `${ids.length} case${ids.length === 1 ? '' : 's'} (${shown}${ids.length > 5 ? ', …' : ''})`;
}

function toFinding(e: unknown, abs: string, p: Property): Finding {
  if (e instanceof BerthError) return { ...e.toFinding(), path: e.path ?? abs, property: p.path };
  return finding('BERTH_E_EIR_VALUE', String(e), { path: abs, property: p.path });
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

/** The dataset as an {@link EirSampleSource}: values read with the SDK readers at each request. */
class FolderDataset implements CaseDataset {
  private readonly byId: Map<string, CaseEntry>;
  private readonly idList: readonly string[];
  readonly warnings: readonly Finding[];
  /** Output names whose sequence also goes into `inputs` (EIR's same-name input; see docs). */
  private readonly echoed: ReadonlySet<string>;

  constructor(
    readonly plan: EirPlan,
    private readonly datasetInfo: EirDatasetInfo,
    private readonly shapes: ReadonlyMap<EirField, number[]>,
    readonly cases: readonly CaseEntry[],
    findings: readonly Finding[],
    private readonly roots: ReadonlyMap<string, { in: string; out: string }>,
    private readonly survival: SurvivalColumns,
  ) {
    this.byId = new Map(cases.map((c) => [c.id, c]));
    this.idList = cases.map((c) => c.id);
    this.warnings = findings.filter((f) => f.severity === 'warning');
    const inputNames = new Set(plan.inputs.map((f) => f.property.name));
    this.echoed = new Set(
      plan.outputs
        .filter((f) => f.modality === 'sequence' && !inputNames.has(f.property.name))
        .map((f) => f.property.name),
    );
  }

  info(): EirDatasetInfo {
    return this.datasetInfo;
  }

  ids(): readonly string[] {
    return this.idList;
  }

  async sample(id: string): Promise<EirSample> {
    const c = this.byId.get(id);
    const roots = this.roots.get(id);
    if (c === undefined || roots === undefined) {
      throw new BerthError('BERTH_E_EIR_SOURCE', `There is no case ${JSON.stringify(id)}`);
    }
    const inputs: Record<string, EirInputValue> = {};
    const targets: Record<string, EirTargetValue> = {};
    const inScope: ReadScope = { realRoot: roots.in };
    const outScope: ReadScope = { realRoot: roots.out };
    await Promise.all([
      ...this.plan.inputs.map(async (f) => {
        const value = await this.encode(f, path.join(c.inputDir, f.property.name), inScope);
        if (value !== undefined) put(inputs, f.property.name, value);
      }),
      ...this.plan.outputs.map(async (f) => {
        const value = await this.encode(f, path.join(c.outputDir, f.property.name), outScope);
        if (value === undefined) return;
        const name = f.property.name;
        switch (f.modality) {
          case 'tabular':
          case 'survival':
            put(targets, name, value as JsonObject);
            break;
          default:
            // array, image and sequence targets are nested once more under their own name.
            put(targets, name, put({}, name, value as string));
            if (this.echoed.has(name)) put(inputs, name, value as string);
        }
      }),
    ]);
    // Key order follows the manifest, whatever order the reads finished in.
    return {
      inputs: ordered(inputs, this.plan.inputs, this.plan.outputs),
      target_labels: ordered(targets, this.plan.outputs, []),
      sample_id: id,
    };
  }

  /** Reads one property and encodes it for EIR; undefined when an absent nullable value. */
  private async encode(f: EirField, abs: string, scope: ReadScope): Promise<EirInputValue | undefined> {
    const p = f.property;
    switch (f.modality) {
      case 'sequence': {
        const text = (await readValue(p, abs, scope)) as string | undefined;
        return text;
      }
      case 'tabular': {
        if (f.single) {
          const v = await readValue(p, abs, scope);
          return v === undefined ? undefined : put({}, p.name, tabularCell(v));
        }
        if (p.nullable && !(await present(abs))) return undefined;
        // Only the columns: members EIR cannot take were skipped and must not be read.
        const values = await readObject(f.columns, abs, scope);
        const row: JsonObject = {};
        for (const col of f.columns) put(row, col.name, tabularCell(values[col.name]));
        return row;
      }
      case 'survival': {
        const v = (await readValue(p, abs, scope)) as { event: boolean; time: number } | undefined;
        if (v === undefined) return undefined;
        // EIR reads the event as a string label ("0"/"1") and the time as a float.
        const cells: JsonObject = {};
        put(cells, this.survival.event, v.event ? '1' : '0');
        return put(cells, this.survival.time, v.time);
      }
      case 'array':
      case 'omics': {
        const arr = (await readValue(p, abs, scope)) as NdArray | undefined;
        if (arr === undefined) return undefined;
        this.expectShape(f, arr.shape, abs);
        if (arr.dtype === 'complex64' || arr.dtype === 'complex128') {
          throw new BerthError('BERTH_E_EIR_VALUE', `The array is ${arr.dtype}; EIR arrays are real`, {
            path: abs,
            property: p.path,
          });
        }
        return f.modality === 'omics' ? omicsBase64(arr) : float32Base64(arr);
      }
      case 'image': {
        const handle = (await readValue(p, abs, scope)) as FileHandle | undefined;
        if (handle === undefined) return undefined;
        const bytes = await handle.read();
        const shape = await imageShapeOf(bytes, abs);
        this.expectShape(f, shape, abs);
        const png = imageFormatOf(bytes) === 'png' ? bytes : jpegToPng(bytes, shape[2] === 1 ? 1 : 3, abs);
        return png.toString('base64');
      }
    }
  }

  /** A case changed since start must not send EIR bytes that do not fit the info's shape. */
  private expectShape(f: EirField, shape: readonly number[], abs: string): void {
    const want = this.shapes.get(f);
    if (want === undefined || (want.length === shape.length && want.every((n, i) => n === shape[i]))) return;
    throw new BerthError('BERTH_E_EIR_SHAPE', `The value has shape ${shapeText(shape)}`, {
      path: abs,
      property: f.property.path,
      expected: `shape ${shapeText(want)}, as in the dataset info`,
    });
  }
}

/** The entries of `values` in the order of `fields` (then `extra`, for echoed sequence inputs). */
function ordered<T>(
  values: Record<string, T>,
  fields: readonly EirField[],
  extra: readonly EirField[],
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const f of [...fields, ...extra]) {
    const name = f.property.name;
    if (Object.hasOwn(values, name) && !Object.hasOwn(out, name)) put(out, name, values[name] as JsonValue);
  }
  return out;
}

/**
 * Sets an own enumerable key, also for names like `__proto__` (property names come from the
 * manifest, and an assignment would set the prototype instead of a key JSON carries).
 */
function put<O extends object>(obj: O, key: string, value: JsonValue): O {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return obj;
}
