/**
 * Which EIR modality each property of a machine's manifest becomes (issue 7 item 3), decided from
 * the manifest alone, before any case is read. See the README, "EIR stream" for the table.
 *
 * Inputs: `string` → sequence; a flat `object` (or `survival`) of primitives → tabular; any other
 * top-level primitive → tabular with one column named after it; `ndarray` → array (bool 2-D →
 * omics); PNG/JPEG `file` → image. Outputs: the same, except `string` → sequence nested under its
 * name, `survival` → survival, and bool ndarrays → array (EIR has no omics output).
 */
import { finding, type Finding } from '../../errors.js';
import type { NdarrayDtypeName, Property, Side, ValueModelType } from '../../kinds/property.js';
import { kindOf } from '../../kinds/registry.js';
import type { MachineDefinition } from '../../check/manifest.js';

/** The value models a tabular column can hold (dates are left out: EIR has no date column). */
const COLUMN_MODELS: ReadonlySet<ValueModelType> = new Set<ValueModelType>([
  'text',
  'category',
  'boolean',
  'integer',
  'number',
]);

/** Media types sent as EIR images. JPEG is re-encoded as PNG (the protocol's documented format). */
export const EIR_IMAGE_MIME_TYPES = ['image/png', 'image/jpeg'] as const;
/** One of {@link EIR_IMAGE_MIME_TYPES}. */
export type EirImageMime = (typeof EIR_IMAGE_MIME_TYPES)[number];

/** ndarray dtypes EIR cannot take: its arrays are real float32. */
const COMPLEX_DTYPES: ReadonlySet<string> = new Set<NdarrayDtypeName>(['complex64', 'complex128']);

/** One property as EIR will see it. */
export type EirField =
  | { modality: 'sequence'; property: Property }
  | {
      modality: 'tabular';
      property: Property;
      /** The columns; for a top-level primitive, the property itself (one column of its name). */
      columns: readonly Property[];
      /** True when the property is a primitive sent as a one-column table. */
      single: boolean;
    }
  | { modality: 'array'; property: Property }
  | { modality: 'omics'; property: Property }
  | { modality: 'image'; property: Property; mime: EirImageMime }
  | { modality: 'survival'; property: Property };

/** The plan for a whole machine. */
export interface EirPlan {
  inputs: EirField[];
  outputs: EirField[];
  /**
   * Properties (or object members) EIR cannot take, one finding each (`BERTH_E_EIR_UNSUPPORTED`):
   * errors, or warnings when `skipUnsupported` left them out.
   */
  unsupported: Finding[];
}

/** Options of {@link planEirFields}. */
export interface EirPlanOptions {
  /** Leave out what EIR cannot take (reported as warnings) instead of refusing the machine. */
  skipUnsupported?: boolean;
}

/** What a kind is, in words, for the unsupported list. */
function kindLabel(p: Property): string {
  const model = kindOf(p.kind).model(p);
  if (model.type === 'media') return `${p.kind} ${model.mimeType ?? ''}`.trim();
  if (model.type === 'tensor' && model.dtype) return `${p.kind} ${model.dtype}`;
  return p.kind;
}

function unmapped(model: never): never {
  throw new Error(`no EIR modality rule for the value model ${JSON.stringify(model)}`);
}

/**
 * Maps every property of a machine to an EIR modality. Never throws: what maps to nothing is
 * listed in `unsupported` (as errors, or warnings with `skipUnsupported`, in which case it is
 * simply not part of the plan).
 */
export function planEirFields(definition: MachineDefinition, options: EirPlanOptions = {}): EirPlan {
  const unsupported: Finding[] = [];
  const severity = options.skipUnsupported === true ? 'warning' : 'error';
  const refuse = (p: Property, why: string): undefined => {
    unsupported.push(
      finding('BERTH_E_EIR_UNSUPPORTED', `${p.name} (${kindLabel(p)}) ${why}`, {
        severity,
        property: p.path,
      }),
    );
    return undefined;
  };
  // One case per value model (kinds/kind.ts): a new kind maps onto a model, or the compiler asks here.
  const plan = (p: Property, side: Side): EirField | undefined => {
    const model = kindOf(p.kind).model(p);
    switch (model.type) {
      case 'text':
        return { modality: 'sequence', property: p };
      case 'category':
      case 'boolean':
      case 'integer':
      case 'number':
        return { modality: 'tabular', property: p, columns: [p], single: true };
      case 'record':
        // EIR has no survival input; its two members are an ordinary table.
        if (model.survival && side === 'out') return { modality: 'survival', property: p };
        return tabular(p);
      case 'tensor': {
        const { dtype, shape } = model;
        if (dtype !== undefined && COMPLEX_DTYPES.has(dtype))
          return refuse(p, 'has no EIR modality: EIR arrays are real float32');
        if (shape !== undefined && shape.length === 0)
          return refuse(p, 'is 0-d; EIR needs a shape with at least one extent');
        if (side === 'in' && dtype === 'bool' && (shape === undefined || shape.length === 2))
          return { modality: 'omics', property: p };
        return { modality: 'array', property: p };
      }
      case 'media': {
        const mime = model.mimeType;
        if (mime !== undefined && (EIR_IMAGE_MIME_TYPES as readonly string[]).includes(mime))
          return { modality: 'image', property: p, mime: mime as EirImageMime };
        return refuse(p, 'has no EIR modality: only image/png and image/jpeg files are streamed');
      }
      case 'date-time':
        return refuse(p, 'has no EIR modality: EIR has no date type');
      case 'list':
        return refuse(p, 'has no EIR modality: EIR has no list type');
      case 'dicom-instance':
      case 'dicom-collection':
        return refuse(p, 'has no EIR modality: EIR does not read DICOM');
      default:
        return unmapped(model);
    }
  };
  const tabular = (p: Property): EirField | undefined => {
    const columns: Property[] = [];
    for (const m of p.properties ?? []) {
      if (COLUMN_MODELS.has(kindOf(m.kind).model(m).type)) columns.push(m);
      else refuse(m, `cannot be a column of tabular ${p.name}: EIR tabular columns are strings or numbers`);
    }
    if (columns.length === 0) return refuse(p, 'has no column EIR can take');
    return { modality: 'tabular', property: p, columns, single: false };
  };
  const side = (props: readonly Property[], s: Side): EirField[] =>
    props.map((p) => plan(p, s)).filter((f): f is EirField => f !== undefined);
  const inputs = side(definition.inputs, 'in');
  const outputs = side(definition.outputs, 'out');
  return { inputs, outputs, unsupported };
}
