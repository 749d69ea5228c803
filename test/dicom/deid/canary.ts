/**
 * The canary file: a synthetic Part 10 file built from Table E.1-1 itself, with a unique greppable
 * value in every attribute the table lists (by VR), a name and a UID in an item of every table
 * sequence, a name nested in a sequence the profile keeps, private blocks at the top and in an item,
 * curves and overlays. A byte search of a de-identified copy for each canary shows what survived.
 */
import { ROWS } from '../../../src/dicom/deid/actions.js';
import type { Vr } from '../../../src/dicom/dictionary.js';
import { TS } from '../../../src/dicom/transfer-syntax.js';
import { encodePart10, type WriteElement, type WriteValue } from '../../../src/dicom/write.js';

/** One canary: what to search for, and where it was put. */
export interface Canary {
  readonly attribute: string;
  readonly tag: number;
  readonly vr: string;
  readonly bytes: Buffer;
}

export const CANARY_SHIFT_DAYS = -1000;
const DAY_MS = 86_400_000;
const BASE_DATE = Date.UTC(1950, 0, 1);

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

function dateOf(i: number): string {
  const d = new Date(BASE_DATE + i * DAY_MS);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
}

/** A unique value of the VR and the bytes a search finds it by (undefined: not searchable). */
function canaryValue(vr: string, i: number, prefix: string): [WriteValue, Buffer | undefined] {
  const word = `${prefix}${pad(i, 4)}Q`;
  switch (vr) {
    case 'DA':
      return [dateOf(i), Buffer.from(dateOf(i))];
    case 'DT':
      return [`${dateOf(i)}120000`, Buffer.from(`${dateOf(i)}120000`)];
    case 'TM':
      return [`1${pad(Math.floor(i / 60) % 60, 2)}${pad(i % 60, 2)}${pad(i % 10, 1)}`.slice(0, 6), undefined];
    case 'UI': {
      const uid = `1.2.826.0.1.3680043.10.${prefix === 'CNY' ? 999 : 998}.${10000 + i}`;
      return [uid, Buffer.from(uid)];
    }
    case 'DS':
      return [`${90000 + i}.5`, Buffer.from(`${90000 + i}.5`)];
    case 'IS':
      return [`${700000 + i}`, Buffer.from(`${700000 + i}`)];
    case 'AS':
      return [`${pad(i % 1000, 3)}W`, undefined];
    case 'US':
    case 'SS':
      return [i, undefined];
    case 'UL':
    case 'SL': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(0x43000000 + i);
      return [0x43000000 + i, b];
    }
    case 'FL':
    case 'FD':
      return [123456.25 + i, undefined];
    case 'AT':
      return [0x00100010, undefined];
    case 'OB':
    case 'OW':
    case 'UN':
    case 'OF':
    case 'OD':
    case 'OL':
    case 'OV':
      return [new Uint8Array(Buffer.from(word)), Buffer.from(word)];
    default:
      return [word, Buffer.from(word)];
  }
}

/** The file and its canaries. */
export interface CanaryFile {
  readonly bytes: Buffer;
  readonly canaries: readonly Canary[];
}

/** Builds the canary file (explicit VR little endian, CT Image Storage). */
export function buildCanaryFile(): CanaryFile {
  const canaries: Canary[] = [];
  const put = (attribute: string, tag: number, vr: string, i: number, prefix = 'CNY'): WriteElement => {
    const [value, bytes] = canaryValue(vr, i, prefix);
    if (bytes) canaries.push({ attribute, tag, vr, bytes });
    return { tag, vr: vr as Vr, value };
  };
  const elements: WriteElement[] = [];
  let i = 0;
  for (const row of ROWS.values()) {
    i++;
    if (row.tag >>> 16 === 0x0002) continue; // file meta: written by encodePart10 from the data set
    if (row.vr !== 'SQ') {
      elements.push(put(row.keyword, row.tag, row.vr, i));
      continue;
    }
    const item: WriteElement[] = [
      put(`${row.keyword}[0].PatientName`, 0x00100010, 'PN', i, 'CNS'),
      put(`${row.keyword}[0].ReferencedSOPInstanceUID`, 0x00081155, 'UI', i, 'CNS'),
    ];
    elements.push({ tag: row.tag, vr: 'SQ', value: [item] });
  }
  // A name nested in a sequence the profile keeps (CTExposureSequence is not in Table E.1-1).
  elements.push({
    tag: 0x00189321,
    vr: 'SQ',
    value: [
      [
        put('CTExposureSequence[0].PatientName', 0x00100010, 'PN', 9001, 'CNK'),
        { tag: 0x00190010, vr: 'LO', value: 'CNY NESTED CREATOR' },
        put('CTExposureSequence[0].(0019,1001)', 0x00191001, 'LO', 9002, 'CNP'),
      ],
    ],
  });
  // Private blocks, curves and overlays.
  elements.push({ tag: 0x00090010, vr: 'LO', value: 'CNY PRIVATE CREATOR' });
  elements.push(put('(0009,1001)', 0x00091001, 'LO', 9003, 'CNP'));
  elements.push(put('(0009,1002)', 0x00091002, 'UN', 9004, 'CNP'));
  elements.push(put('CurveData', 0x50003000, 'OB', 9005, 'CNC'));
  elements.push(put('OverlayData', 0x60003000, 'OW', 9006, 'CNO'));
  elements.push(put('OverlayComments', 0x60004000, 'LT', 9007, 'CNO'));
  elements.push({ tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.2' });
  const bytes = encodePart10(elements, { transferSyntaxUid: TS.ExplicitVRLittleEndian });
  return { bytes, canaries };
}

/** The canaries found in `bytes`. */
export function survivors(bytes: Buffer, canaries: readonly Canary[]): Canary[] {
  return canaries.filter((c) => bytes.includes(c.bytes));
}
