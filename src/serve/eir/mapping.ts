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
import type { KindName, NdarrayDtypeName, Property, Side } from '../../kinds/property.js';
import type { MachineDefinition } from '../../check/manifest.js';

/** The primitive kinds a tabular column can hold (dates are left out: EIR has no date column). */
const COLUMN_KINDS: ReadonlySet<KindName> = new Set<KindName>([
  'string',
  'enum',
  'boolean',
  'integer',
  'number',
  'percentage',
]);

/** Media types sent as EIR images. JPEG is re-encoded as PNG (the protocol's documented format). */
export const EIR_IMAGE_MIME_TYPES = ['image/png', 'image/jpeg'] as const;
/** One of {@link EIR_IMAGE_MIME_TYPES}. */
export type EirImageMime = (typeof EIR_IMAGE_MIME_TYPES)[number];

/** ndarray dtypes EIR cannot take: its arrays are real float32. */
const COMPLEX_DTYPES: ReadonlySet<NdarrayDtypeName> = new Set<NdarrayDtypeName>(['complex64', 'complex128']);

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
  if (p.kind === 'file') return `file ${p.mimeType ?? ''}`.trim();
  if (p.kind === 'ndarray' && p.ndarray?.dtype) return `ndarray ${p.ndarray.dtype}`;
  return p.kind;
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
  const plan = (p: Property, side: Side): EirField | undefined => {
    switch (p.kind) {
      case 'string':
        return { modality: 'sequence', property: p };
      case 'enum':
      case 'boolean':
      case 'integer':
      case 'number':
      case 'percentage':
        return { modality: 'tabular', property: p, columns: [p], single: true };
      case 'survival':
        if (side === 'out') return { modality: 'survival', property: p };
        // EIR has no survival input; its two members are an ordinary table.
        return tabular(p);
      case 'object':
        return tabular(p);
      case 'ndarray': {
        const dtype = p.ndarray?.dtype;
        if (dtype !== undefined && COMPLEX_DTYPES.has(dtype))
          return refuse(p, 'has no EIR modality: EIR arrays are real float32');
        const shape = p.ndarray?.shape;
        if (shape !== undefined && shape.length === 0)
          return refuse(p, 'is 0-d; EIR needs a shape with at least one extent');
        if (side === 'in' && dtype === 'bool' && (shape === undefined || shape.length === 2))
          return { modality: 'omics', property: p };
        return { modality: 'array', property: p };
      }
      case 'file': {
        const mime = p.mimeType;
        if (mime !== undefined && (EIR_IMAGE_MIME_TYPES as readonly string[]).includes(mime))
          return { modality: 'image', property: p, mime: mime as EirImageMime };
        return refuse(p, 'has no EIR modality: only image/png and image/jpeg files are streamed');
      }
      case 'date-time':
        return refuse(p, 'has no EIR modality: EIR has no date type');
      case 'array':
        return refuse(p, 'has no EIR modality: EIR has no list type');
      case 'dicom-image':
      case 'dicom-series':
      case 'dicom-study':
        return refuse(p, 'has no EIR modality: EIR does not read DICOM');
    }
  };
  const tabular = (p: Property): EirField | undefined => {
    const columns: Property[] = [];
    for (const m of p.properties ?? []) {
      if (COLUMN_KINDS.has(m.kind)) columns.push(m);
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
