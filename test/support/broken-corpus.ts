/**
 * The broken-file corpus: one small synthetic CT instance broken in each way berth must report, plus
 * stray non-DICOM files, each with the error code a header scan must give it. Test-only.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../src/errors.js';
import type { DicomCode } from '../../src/dicom/errors.js';
import { scanHeaderBytes } from '../../src/dicom/scan.js';
import { synthSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { encodePart10, type WriteElement } from '../../src/dicom/write.js';
import { writeFileAtomic } from '../../src/tree/atomic.js';

/** One file of the broken corpus and the error code a header scan must give it. */
export interface BrokenFile {
  readonly name: string;
  readonly path: string;
  readonly expected: DicomCode;
  /** Not DICOM at all: an index reports it as a stray file rather than a broken instance. */
  readonly stray: boolean;
  readonly description: string;
}

function patchUint32LE(b: Buffer, offset: number, value: number): Buffer {
  const copy = Buffer.from(b);
  copy.writeUInt32LE(value, offset);
  return copy;
}

/** Value offset of a top-level element in an encoded file, found by berth's own scan. */
function valueOffset(b: Buffer, keyword: string): number {
  const el = scanHeaderBytes(b, 'corpus', { requireUids: false }).element(keyword);
  if (!el) throw new BerthError('BERTH_E_INTERNAL', `${keyword} not found`);
  return el.offset;
}

/** One broken file before it is written: name, bytes, the code a scan must give, what is broken. */
type Broken = [name: string, bytes: Buffer | string, code: DicomCode, description: string];

/** Files cut short, or without preamble. */
function cutFiles(explicit: Buffer): Broken[] {
  const pixelAt = scanHeaderBytes(explicit, 'corpus').pixelData!.offset - 12;
  return [
    ['truncated-meta.dcm', explicit.subarray(0, 150), 'BERTH_E_TRUNCATED', 'cut inside the file meta group'],
    [
      'truncated-header.dcm',
      explicit.subarray(0, pixelAt - 40),
      'BERTH_E_TRUNCATED',
      'cut inside the data set',
    ],
    [
      'truncated-pixels.dcm',
      explicit.subarray(0, pixelAt + 12 + 700),
      'BERTH_E_PIXEL_LENGTH',
      'cut inside the pixel data',
    ],
    [
      'no-preamble.dcm',
      explicit.subarray(132),
      'BERTH_E_NOT_PART10',
      'the data set without preamble and DICM',
    ],
  ];
}

/** Files with garbage in an element header: a length or a VR. */
function garbledFiles(explicit: Buffer, implicit: Buffer): Broken[] {
  const studyDateAt = valueOffset(implicit, 'StudyDate') - 8;
  const sopClassAt = valueOffset(implicit, 'SOPClassUID') - 8;
  const vrBroken = Buffer.from(explicit);
  vrBroken.write('zz', valueOffset(explicit, 'StudyDate') - 4, 'latin1');
  return [
    [
      'garbage-length.dcm',
      patchUint32LE(implicit, studyDateAt + 4, 0xfffffff0),
      'BERTH_E_TRUNCATED',
      'StudyDate declares 4 GB (implicit VR)',
    ],
    [
      'garbage-undefined-length.dcm',
      patchUint32LE(implicit, sopClassAt + 4, 0xffffffff),
      'BERTH_E_DICOM_PARSE',
      'SOPClassUID declares undefined length (implicit VR)',
    ],
    ['garbage-vr.dcm', vrBroken, 'BERTH_E_DICOM_PARSE', 'StudyDate has VR bytes "zz"'],
  ];
}

/** Well-formed files that lack what berth needs: a UID, a known transfer syntax, pixel bytes, a deflate stream. */
function lackingFiles(els: WriteElement[], sopInstanceUid: string): Broken[] {
  const short = els.map((e) =>
    e.tag === 0x7fe00010 ? { ...e, value: (e.value as Int16Array).subarray(0, 32 * 30) } : e,
  );
  const deflated = encodePart10(els, { transferSyntaxUid: TS.DeflatedExplicitVRLittleEndian });
  const metaEnd = 144 + deflated.readUInt32LE(140); // after (0002,0000) UL: the meta group length
  return [
    [
      'missing-sop-instance-uid.dcm',
      encodePart10(
        els.filter((e) => e.tag !== 0x00080018),
        {
          transferSyntaxUid: TS.ExplicitVRLittleEndian,
          meta: { MediaStorageSOPInstanceUID: sopInstanceUid },
        },
      ),
      'BERTH_E_MISSING_ATTRIBUTE',
      'no SOPInstanceUID in the data set',
    ],
    [
      'unknown-transfer-syntax.dcm',
      encodePart10(els, {
        transferSyntaxUid: TS.ExplicitVRLittleEndian,
        meta: { TransferSyntaxUID: '1.2.3.999' },
      }),
      'BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX',
      'TransferSyntaxUID 1.2.3.999',
    ],
    [
      'no-transfer-syntax.dcm',
      encodePart10(
        els.filter((e) => e.tag >>> 16 === 0x0002),
        { transferSyntaxUid: TS.ExplicitVRLittleEndian, meta: { TransferSyntaxUID: null } },
      ),
      'BERTH_E_NO_TRANSFER_SYNTAX',
      'no TransferSyntaxUID in the file meta, and no data set to tell it from',
    ],
    [
      'pixel-data-too-short.dcm',
      encodePart10(short, { transferSyntaxUid: TS.ExplicitVRLittleEndian }),
      'BERTH_E_PIXEL_LENGTH',
      'pixel data for 30 of 32 rows',
    ],
    [
      'corrupt-deflate.dcm',
      Buffer.concat([deflated.subarray(0, metaEnd), Buffer.alloc(64, 0xff)]),
      'BERTH_E_DICOM_PARSE',
      'deflated syntax, but the data set is not a deflate stream',
    ],
  ];
}

/** Files that are not DICOM at all. */
function strayFiles(): Broken[] {
  const dsStore = Buffer.alloc(6148);
  dsStore.write('\u0000\u0000\u0000\u0001Bud1', 0, 'latin1');
  return [
    ['empty.dcm', Buffer.alloc(0), 'BERTH_E_NOT_PART10', 'an empty file'],
    ['zeros.dcm', Buffer.alloc(4096), 'BERTH_E_NOT_PART10', '4096 zero bytes'],
    ['README.txt', 'This folder holds DICOM files.\n', 'BERTH_E_NOT_PART10', 'a text file'],
    ['.DS_Store', dsStore, 'BERTH_E_NOT_PART10', 'macOS folder metadata'],
  ];
}

/**
 * Writes the broken-file corpus into `dir`: one small CT instance broken in each way berth must
 * report (truncated header and pixels, no preamble, garbage lengths and VR, missing SOPInstanceUID,
 * an unknown or undeterminable transfer syntax, short pixel data, a corrupt deflate stream)
 * plus stray non-DICOM files (empty, zeros, a README, a `.DS_Store`). Returns each file with the code
 * a scan must fail with.
 */
export async function writeBrokenCorpus(dir: string, seed: string | number = 1): Promise<BrokenFile[]> {
  await mkdir(dir, { recursive: true });
  const [inst] = synthSeries({
    seed,
    instances: 1,
    rows: 32,
    columns: 32,
    seriesDescription: 'broken corpus',
  });
  const els = inst!.elements;
  const explicit = encodePart10(els, { transferSyntaxUid: TS.ExplicitVRLittleEndian });
  const implicit = encodePart10(els, { transferSyntaxUid: TS.ImplicitVRLittleEndian });
  const strays = strayFiles();
  const files = [
    ...cutFiles(explicit),
    ...garbledFiles(explicit, implicit),
    ...lackingFiles(els, inst!.sopInstanceUid),
    ...strays,
  ];
  const strayNames = new Set(strays.map(([name]) => name));
  const out: BrokenFile[] = [];
  for (const [name, bytes, expected, description] of files) {
    const path = join(dir, name);
    await writeFileAtomic(path, bytes);
    out.push({ name, path, expected, stray: strayNames.has(name), description });
  }
  return out;
}
