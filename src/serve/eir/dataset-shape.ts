/**
 * The shapes EIR's dataset info gets for array, omics and image fields: declared by the manifest or
 * agreed on by every case, with the findings when cases disagree or hold dtypes EIR converts.
 */
import path from 'node:path';
import { BerthError, finding, type Finding } from '../../errors.js';
import type { Property, Side } from '../../kinds/property.js';
import { readNpyHeader } from '../../ndarray/npy.js';
import { mapLimited } from '../../tree/entry.js';
import { cmp, present, treeOf, type CaseEntry } from './dataset-cases.js';
import { readImageShape } from './image.js';
import type { EirField } from './mapping.js';
import { ndarraySpecOf, shapeText } from '../../kinds/ndarray.js';

/**
 * The shape EIR's dataset info gets for an array, omics or image field. A fully declared ndarray
 * shape is used as is (checkTree has held every case to it). Otherwise every case holding a value
 * must agree, and the agreed shape is used; for images (`[H, W, C]`) there is never a declared
 * shape, so the cases always decide. Also reports arrays of dtypes sent as float32.
 */
export async function settleShape(
  field: EirField,
  side: Side,
  cases: readonly CaseEntry[],
  findings: Finding[],
  allUsable: boolean,
): Promise<number[] | undefined> {
  if (field.modality !== 'array' && field.modality !== 'omics' && field.modality !== 'image')
    return undefined;
  const p = field.property;
  const declared = field.modality === 'image' ? undefined : ndarraySpecOf(p).shape;
  const known = declared !== undefined && declared.every((n) => n !== null);
  const needShapes = !known;
  const needDtypes = field.modality === 'array' && ndarraySpecOf(p).dtype === undefined;
  if (
    field.modality === 'array' &&
    ndarraySpecOf(p).dtype !== undefined &&
    ndarraySpecOf(p).dtype !== 'float32'
  ) {
    findings.push(
      finding('BERTH_E_EIR_CONVERTED', `${p.path} is ${ndarraySpecOf(p).dtype}; EIR gets it as float32`, {
        severity: 'warning',
        property: p.path,
      }),
    );
  }
  if (!needShapes && !needDtypes) return declared as number[];
  const fileOf = (id: string): string =>
    path.join(
      treeOf(
        cases.find((c) => c.id === id)!,
        side,
      ),
      p.name,
    );
  const { byShape, dtypes } = await scanCases(field, side, cases, findings);
  dtypeFindings(p, dtypes, fileOf, findings);
  if (!needShapes) return declared as number[];
  return agreedShape(field, declared, byShape, fileOf, findings, allUsable);
}

/** Case ids by shape and by dtype, from each case's value header. */
interface ShapeScan {
  byShape: Map<string, { shape: number[]; ids: string[] }>;
  dtypes: Map<string, string[]>;
}

/** Reads the shape (and for ndarrays the dtype) of the field's value in every case holding one. */
async function scanCases(
  field: EirField,
  side: Side,
  cases: readonly CaseEntry[],
  findings: Finding[],
): Promise<ShapeScan> {
  const p = field.property;
  const byShape: ShapeScan['byShape'] = new Map();
  const dtypes: ShapeScan['dtypes'] = new Map();
  await mapLimited(cases, 16, async (c) => {
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
  return { byShape, dtypes };
}

/** Complex dtypes refused, other non-float32 ones reported as converted. */
function dtypeFindings(
  p: Property,
  dtypes: ShapeScan['dtypes'],
  fileOf: (id: string) => string,
  findings: Finding[],
): void {
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
}

/** The one shape every case agrees on, or undefined with a finding saying why not. */
function agreedShape(
  field: EirField,
  declared: readonly (number | null)[] | undefined,
  byShape: ShapeScan['byShape'],
  fileOf: (id: string) => string,
  findings: Finding[],
  allUsable: boolean,
): number[] | undefined {
  const p = field.property;
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
