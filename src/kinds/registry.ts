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
import type { KindDefinition, KindName } from './property.js';
import { stringKind } from './string.js';
import { survivalKind } from './survival.js';

/** Every kind, in the reference table's order, then berth's extensions. */
export const KINDS: readonly KindDefinition[] = [
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
];

const BY_NAME = new Map<KindName, KindDefinition>(KINDS.map((k) => [k.name, k]));

/** The definition of a kind by name. */
export function kindOf(name: KindName): KindDefinition {
  const k = BY_NAME.get(name);
  if (!k) throw new Error(`unknown kind ${name}`);
  return k;
}

/** The `type` values the reference and berth accept. */
export const TYPE_VALUES = KINDS.filter((k) => k.recognisedBy === 'type').map((k) => k.name);
