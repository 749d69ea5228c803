/**
 * DICOM properties as the DICOM modules (src/dicom/) take them — plain level, constraints and path —
 * and the UIDs of a machine's DICOM inputs, which the output UID rules compare outputs with:
 * collected from an input tree by its properties, the DICOM code loaded on first use.
 */
import type { Finding } from '../errors.js';
import type { DicomEntrySpec } from '../dicom/constraints.js';
import type { InputUidSource } from '../dicom/output-uids.js';
import { dicomSpecOf } from './dicom-constraints.js';
import type { DicomCheckContext, Property, Side } from './kind.js';
import { dicomLevelOf, kindOf } from './registry.js';

/**
 * Checks one DICOM property's entry — a dicom-image file, a dicom-series or dicom-study folder —
 * as `checkTree` does (the kind's storage facet), and returns every finding; none for any other
 * kind. Never throws for bad content.
 */
export async function checkDicomProperty(
  p: Property,
  abs: string,
  side: Side,
  ctx: DicomCheckContext = {},
): Promise<Finding[]> {
  const storage = kindOf(p.kind).storage;
  return storage.form === 'dicom' ? storage.check(p, abs, side, ctx) : [];
}

/** A DICOM property as the DICOM modules take it; undefined for any other kind. */
export function dicomEntryOf(p: Property): DicomEntrySpec | undefined {
  const level = dicomLevelOf(p);
  return level === undefined
    ? undefined
    : { level, constraints: dicomSpecOf(p).constraints, property: p.path };
}

/** A machine's input tree: its root and its `schema-in` properties. */
export interface InputTree {
  readonly root: string;
  readonly properties: readonly Property[];
}

/**
 * An {@link InputUidSource} over an input tree, collecting once on first use: the UIDs of every
 * DICOM input present (inside objects and arrays too); unreadable files are skipped (the input
 * check reports them).
 */
export function inputUidSource(root: string, properties: readonly Property[]): InputUidSource {
  let pending: ReturnType<InputUidSource> | undefined;
  return () =>
    (pending ??= import('../dicom/output-uids.js').then((m) =>
      m.collectInputUids(root, properties, dicomLevelOf),
    ));
}

/** The input UIDs of `inputs`, an input tree or a source over one (undefined stays undefined). */
export function inputUidsOf(inputs: InputTree | InputUidSource | undefined): InputUidSource | undefined {
  if (inputs === undefined || typeof inputs === 'function') return inputs;
  return inputUidSource(inputs.root, inputs.properties);
}
