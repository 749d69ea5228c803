/**
 * Fuzz of the DICOM header scan (src/dicom/scan.ts): berth's synthetic Part 10 files in every
 * writable transfer syntax, with private tags and sequences of both lengths, mutated — bit flips,
 * truncations, insertions, and above all their length fields, VRs and item tags rewritten with
 * boundary values — then scanned from memory, from a file synchronously and asynchronously (with
 * prefixes small enough that the scan must grow its window), and every element of a header that
 * scans read back. See test/support/fuzz.ts for the property and `npm run fuzz` for long runs.
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatTag } from '../../src/dicom/dictionary.js';
import { scanHeader, scanHeaderBytes, scanHeaderSync, type DicomHeader } from '../../src/dicom/scan.js';
import { synthSeries, type SeriesSpec } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { encodePart10 } from '../../src/dicom/write.js';
import { fuzz, type FuzzCase, type FuzzTarget } from '../support/fuzz.js';
import { applyByteEdits, byteEdits, type HotSpot } from '../support/mutate.js';
import { removeDir, tempDir } from '../support/temp.js';

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const VRS = [...LONG_VRS, 'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'PN'];
const VR_VALUES = [
  ...VRS,
  'SH',
  'SL',
  'SS',
  'ST',
  'TM',
  'UI',
  'UL',
  'US',
  'xx',
  'ob',
  '\0\0',
  '\xff\xff',
].map((vr) => Buffer.from(vr, 'latin1'));

// Items, delimiters and element headers worth inserting: (FFFE,E000) of undefined length, the
// item and sequence delimiters, an SQ of undefined length, Rows as US, a UN and an OB of huge length.
const TOKENS = [
  'feff00e0ffffffff',
  'feff0de000000000',
  'feffdde000000000',
  '0800091053510000ffffffff',
  '2800100055530200',
  '09001000554e0000ffffff7f',
  'e07f10004f420000fffffff0',
].map((hex) => Buffer.from(hex, 'hex'));

interface Base {
  readonly label: string;
  readonly bytes: Buffer;
  readonly hotSpots: readonly HotSpot[];
}

/** Length and VR fields of every top-level element, and the length of every item and delimiter. */
function hotSpotsOf(bytes: Buffer, header: DicomHeader): HotSpot[] {
  const spots: HotSpot[] = [];
  const deflated = header.transferSyntax.deflated;
  for (const el of header.elements().values()) {
    const meta = el.tag >>> 16 === 0x0002;
    if (deflated && !meta) continue; // offsets count inflated bytes
    if (meta || header.transferSyntax.explicitVr) {
      const long = LONG_VRS.has(el.vr);
      spots.push({ offset: el.offset - (long ? 8 : 4), width: 2, values: VR_VALUES });
      spots.push({ offset: el.offset - (long ? 4 : 2), width: long ? 4 : 2 });
    } else spots.push({ offset: el.offset - 4, width: 4 });
  }
  if (header.pixelData && !deflated) spots.push({ offset: header.pixelData.offset - 4, width: 4 });
  // Items (FFFE,E000) and delimiters (FFFE,E00D / E0DD), little or big endian: their lengths.
  for (let i = 0; i + 8 <= bytes.length && !deflated; i++) {
    const le = bytes[i] === 0xfe && bytes[i + 1] === 0xff && bytes[i + 3] === 0xe0;
    const be = bytes[i] === 0xff && bytes[i + 1] === 0xfe && bytes[i + 2] === 0xe0;
    if (le || be) spots.push({ offset: i + 4, width: 4 });
  }
  return spots;
}

function base(label: string, spec: SeriesSpec, transferSyntaxUid: string): Base {
  const [inst] = synthSeries({ seed: label, instances: 1, rows: 8, columns: 8, ...spec });
  const bytes = encodePart10(inst!.elements, {
    transferSyntaxUid,
    undefinedLengthSequences: spec.sequences === 'undefined',
  });
  return { label, bytes, hotSpots: hotSpotsOf(bytes, scanHeaderBytes(bytes, label)) };
}

const BASES: readonly Base[] = [
  base('ct-explicit', { modality: 'CT', privateTags: true, sequences: 'defined' }, TS.ExplicitVRLittleEndian),
  base('mr-explicit-undefined', { modality: 'MR', sequences: 'undefined' }, TS.ExplicitVRLittleEndian),
  base(
    'ct-implicit',
    { modality: 'CT', privateTags: true, sequences: 'undefined' },
    TS.ImplicitVRLittleEndian,
  ),
  base('cr-big-endian', { modality: 'CR', sequences: 'defined' }, TS.ExplicitVRBigEndian),
  base('ct-deflated', { modality: 'CT', sequences: 'defined' }, TS.DeflatedExplicitVRLittleEndian),
  base('ot-frames-rle', { modality: 'OT', frames: 3 }, TS.RLELossless),
];

/** A mutated base file, named `<base>/<api>`. */
function mutated(apis: readonly string[]): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(fc.nat({ max: BASES.length - 1 }), fc.constantFrom(...apis), byteEdits(4, true))
    .map(([b, api, edits]) => {
      const { label, bytes, hotSpots } = BASES[b]!;
      return {
        bytes: applyByteEdits(bytes, edits, { hotSpots, tokens: TOKENS }),
        variant: `${label}/${api}`,
      };
    });
}

/** Reads back every element of a header that scanned, as `berth dicom` and the checks do. */
function readBack(h: DicomHeader): void {
  void h.frames;
  for (const tag of h.elements().keys()) h.getString(formatTag(tag));
}

function apiOptions(api: string): {
  prefixBytes?: number;
  requireUids?: boolean;
  checkPixelLength?: boolean;
} {
  const prefix = /prefix=(\d+)/.exec(api)?.[1];
  return {
    ...(prefix === undefined ? {} : { prefixBytes: Number(prefix) }),
    ...(api.includes('lenient') ? { requireUids: false, checkPixelLength: false } : {}),
  };
}

describe('dicom/scan under fuzz: mutated Part 10 files scan or fail with a DICOM code', () => {
  let dir = '';
  let n = 0;
  before(async () => {
    dir = await tempDir('fuzz-scan');
  });
  after(() => removeDir(dir));

  const inMemory: FuzzTarget = {
    name: 'dicom-scan-bytes',
    quickRuns: 600,
    arbitrary: mutated(['strict', 'lenient']),
    run: (c) => readBack(scanHeaderBytes(c.bytes, 'fuzz.dcm', apiOptions(c.variant))),
  };
  const fromFile: FuzzTarget = {
    name: 'dicom-scan-file',
    quickRuns: 150,
    arbitrary: mutated([
      'sync/prefix=16384',
      'sync/prefix=64',
      'async/prefix=200',
      'async/prefix=1',
      'sync/lenient/prefix=132',
    ]),
    run: async (c) => {
      const file = path.join(dir, `f${n++ % 4}.dcm`);
      writeFileSync(file, c.bytes);
      const options = apiOptions(c.variant);
      readBack(
        c.variant.includes('/async') ? await scanHeader(file, options) : scanHeaderSync(file, options),
      );
    },
  };

  it('scanHeaderBytes reads every mutated file or throws a catalogued BerthError, each within 2 s', async () => {
    await fuzz(inMemory);
  });

  it('scanHeaderSync and scanHeader, with small prefixes that must grow, do the same from files', async () => {
    await fuzz(fromFile);
  });
});
