/**
 * Reading one sample of a case dataset at each EIR request: the values read with the SDK readers,
 * encoded for EIR, keyed in manifest order.
 */
import path from 'node:path';
import { BerthError, type Finding } from '../../errors.js';
import type { FileHandle } from '../../kinds/file-handle.js';
import { setOwn, type JsonObject, type JsonValue } from '../../manifest/document.js';
import type { NdArray } from '../../ndarray/ndarray.js';
import { readObject, readValue, type ReadScope } from '../../sdk/read-value.js';
import { present, type CaseEntry } from './dataset-cases.js';
import { shapeText } from '../../kinds/ndarray.js';
import { float32Base64, omicsBase64, tabularCell } from './encode.js';
import { imageFormatOf, imageShapeOf, jpegToPng } from './image.js';
import type { EirField, EirPlan } from './mapping.js';
import type {
  EirDatasetInfo,
  EirInputValue,
  EirSample,
  EirSampleSource,
  EirTargetValue,
} from './protocol.js';

/** EIR's survival columns: they come from EIR's config (`event_column`, `time_column`). */
export interface SurvivalColumns {
  event: string;
  time: string;
}

/** The columns EIR's streaming docs use. */
export const DEFAULT_SURVIVAL_COLUMNS: SurvivalColumns = { event: 'Event', time: 'Time' };

/** A dataset ready to serve. */
export interface CaseDataset extends EirSampleSource {
  /** The cases, in sample order (by name, code point order). */
  readonly cases: readonly CaseEntry[];
  /** What was found at start that does not stop serving: skipped properties, conversions. */
  readonly warnings: readonly Finding[];
  /** The mapping of properties to modalities. */
  readonly plan: EirPlan;
}

/** The dataset as an {@link EirSampleSource}: values read with the SDK readers at each request. */
export class FolderDataset implements CaseDataset {
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
  setOwn(obj, key, value);
  return obj;
}
