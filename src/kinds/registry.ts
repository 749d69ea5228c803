import { arrayKind } from './array.js';
import { booleanKind } from './boolean.js';
import { dateTimeKind } from './date-time.js';
import { dicomImageKind } from './dicom-image.js';
import { dicomSeriesKind } from './dicom-series.js';
import { dicomStudyKind } from './dicom-study.js';
import { enumKind } from './enum.js';
import { fileKind } from './file.js';
import { integerKind } from './integer.js';
import { ndarrayKind } from './ndarray.js';
import { numberKind } from './number.js';
import { objectKind } from './object.js';
import { percentageKind } from './percentage.js';
import type { DicomLevel } from '../dicom/constraints.js';
import type { KindDefinition, KindName, Property } from './kind.js';
import { stringKind } from './string.js';
import { survivalKind } from './survival.js';

/**
 * Every kind, in the reference table's order, then berth's extensions. A new kind is one file and
 * one line here: {@link KindName} follows this list.
 */
const REGISTERED = [
  stringKind,
  enumKind,
  dateTimeKind,
  booleanKind,
  integerKind,
  numberKind,
  percentageKind,
  fileKind,
  dicomImageKind,
  dicomSeriesKind,
  dicomStudyKind,
  objectKind,
  arrayKind,
  ndarrayKind,
  survivalKind,
] as const;

/** The registry's kinds by name: fills kind.ts's `KindNames`, from which `KindName` is derived. */
type Registered = { [K in (typeof REGISTERED)[number] as K['name']]: K };
declare module './kind.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the augmentation is the point
  interface KindNames extends Registered {}
}

/** Every kind, in the reference table's order, then berth's extensions. */
export const KINDS: readonly KindDefinition[] = REGISTERED;

const BY_NAME = new Map<string, KindDefinition>(KINDS.map((k) => [k.name, k]));

/** The definition of a kind by name. */
export function kindOf(name: KindName): KindDefinition {
  const k = BY_NAME.get(name);
  if (!k) throw new Error(`unknown kind ${name}`);
  return k;
}

/** The `type` values the reference and berth accept. */
export const TYPE_VALUES = KINDS.filter((k) => k.recognisedBy === 'type').map((k) => k.name as KindName);

export type { DicomLevel } from '../dicom/constraints.js';

/** The DICOM level of a property's kind (its storage facet), or undefined when it is not DICOM. */
export function dicomLevelOf(p: Pick<Property, 'kind'>): DicomLevel | undefined {
  const storage = kindOf(p.kind).storage;
  return storage.form === 'dicom' ? storage.level : undefined;
}
