/**
 * Transcoding among the four native syntaxes: every pair round-trips byte for byte, header values
 * and pixels survive, and real peers (dcmtk, pydicom) read every output alike.
 */
import { expect } from 'chai';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isBerthError } from '../../src/errors.js';
import { readPixels } from '../../src/dicom/pixels.js';
import { scanHeaderBytes, scanHeaderSync } from '../../src/dicom/scan.js';
import { synthSeries, type SeriesSpec } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import {
  canTranscode,
  transcodeBytes,
  transcodeFile,
  TRANSCODABLE_SYNTAXES,
} from '../../src/dicom/transcode.js';
import { element, encodePart10, type WriteElement } from '../../src/dicom/write.js';
import { requirePeer } from '../support/peers.js';
import { removeDir, tempDir } from '../support/temp.js';
import {
  DCMTK_PEER,
  pixelChecksum,
  PYDICOM_PEER,
  PYDICOM_SCRIPT,
  run,
  runPython,
  jpegLikePart10,
} from '../support/dicom-peers.js';

const SYNTAXES = TRANSCODABLE_SYNTAXES;
const SHORT: Record<string, string> = {
  [TS.ImplicitVRLittleEndian]: 'implicit',
  [TS.ExplicitVRLittleEndian]: 'explicit',
  [TS.ExplicitVRBigEndian]: 'big',
  [TS.DeflatedExplicitVRLittleEndian]: 'deflated',
};

/** Sources: CT with private tags and nested sequences, MR (unsigned), OT 8-bit multi-frame (OB). */
const SPECS: SeriesSpec[] = [
  { seed: 'tc', instances: 1, rows: 24, columns: 20, privateTags: true, sequences: 'undefined' },
  { seed: 'tc', instances: 1, modality: 'MR', seriesIndex: 1, privateTags: true, sequences: 'defined' },
  { seed: 'tc', instances: 1, modality: 'OT', seriesIndex: 2, frames: 3, rows: 16, columns: 10 },
];

const HEADER_KEYWORDS = [
  'SOPInstanceUID',
  'SOPClassUID',
  'StudyInstanceUID',
  'SeriesInstanceUID',
  'PatientName',
  'StudyDescription',
  'SeriesDescription',
  'Modality',
  'ImageType',
  'Rows',
  'Columns',
  'BitsAllocated',
  'PixelRepresentation',
  'ImagePositionPatient',
  'ImageOrientationPatient',
  'PixelSpacing',
  'WindowCenter',
  'RescaleIntercept',
  'InstanceNumber',
  'NumberOfFrames',
  'FrameIncrementPointer',
];

interface Source {
  name: string;
  ts: string;
  bytes: Buffer;
  pixels: ArrayLike<number>;
}

function sources(): Source[] {
  const out: Source[] = [];
  for (const [i, spec] of SPECS.entries()) {
    const [inst] = synthSeries(spec);
    for (const ts of SYNTAXES) {
      out.push({
        name: `${i}-${SHORT[ts]}`,
        ts,
        bytes: encodePart10(inst!.elements, {
          transferSyntaxUid: ts,
          undefinedLengthSequences: spec.sequences === 'undefined',
        }),
        pixels: inst!.pixels as ArrayLike<number>,
      });
    }
  }
  return out;
}

function headerValues(bytes: Buffer): Record<string, unknown> {
  const h = scanHeaderBytes(bytes, 'x');
  return Object.fromEntries(HEADER_KEYWORDS.map((k) => [k, h.get(k)]));
}

describe('dicom/transcode: among the four native syntaxes', () => {
  const all = sources();

  it('knows what it can do', () => {
    expect(canTranscode(TS.ExplicitVRBigEndian, TS.DeflatedExplicitVRLittleEndian)).to.equal(true);
    expect(canTranscode(TS.JPEGBaseline8Bit, TS.JPEGBaseline8Bit)).to.equal(true);
    // Compressed syntaxes are decoded, and lossless ones written (transcode-codecs.test.ts); lossy never.
    expect(canTranscode(TS.JPEGBaseline8Bit, TS.ExplicitVRLittleEndian)).to.equal(true);
    expect(canTranscode(TS.ExplicitVRLittleEndian, TS.RLELossless)).to.equal(true);
    expect(canTranscode(TS.ExplicitVRLittleEndian, TS.JPEGBaseline8Bit)).to.equal(false);
    expect(canTranscode('1.2.840.10008.1.2.4.100', TS.ExplicitVRLittleEndian)).to.equal(false);
    expect(canTranscode(TS.ExplicitVRLittleEndian, '1.2.3')).to.equal(false);
  });

  it('every pair: same header values, same pixels, and back again byte for byte', async () => {
    let pairs = 0;
    for (const src of all) {
      const expected = headerValues(src.bytes);
      for (const target of SYNTAXES) {
        const r = transcodeBytes(src.bytes, target, src.name);
        expect(r.targetTransferSyntaxUid).to.equal(target);
        expect(r.unchanged).to.equal(target === src.ts);
        const h = scanHeaderBytes(r.bytes, src.name);
        expect(h.TransferSyntaxUID).to.equal(target);
        expect(h.MediaStorageSOPInstanceUID).to.equal(h.SOPInstanceUID);
        expect(headerValues(r.bytes), `${src.name} → ${SHORT[target]}`).to.deep.equal(expected);
        const back = transcodeBytes(r.bytes, src.ts).bytes;
        if (target === TS.ImplicitVRLittleEndian && src.ts !== target) {
          // Implicit VR keeps no VRs: private elements come back as UN, everything else as it was.
          expect(headerValues(back)).to.deep.equal(expected);
        } else {
          expect(back.equals(src.bytes), `${src.name} → ${SHORT[target]} → back`).to.equal(true);
        }
        pairs++;
      }
    }
    expect(pairs).to.equal(SPECS.length * 16);
  });

  it('every pair: pixels read back by berth equal the generated ones', async () => {
    const dir = await tempDir('dicom');
    try {
      for (const src of all) {
        for (const target of SYNTAXES) {
          const path = join(dir, `${src.name}-to-${SHORT[target]}.dcm`);
          await writeFile(path, transcodeBytes(src.bytes, target).bytes);
          const px = await readPixels(path, scanHeaderSync(path));
          if (px.kind !== 'native') throw new Error('native expected');
          expect(pixelChecksum(px.data), path).to.equal(pixelChecksum(src.pixels));
        }
      }
    } finally {
      await removeDir(dir);
    }
  });

  it('keeps private tags: their VR from an explicit source, UN (same bytes) from an implicit one', () => {
    const explicit = all.find((s) => s.name === '0-explicit')!;
    const implicit = all.find((s) => s.name === '0-implicit')!;
    const fromExplicit = scanHeaderBytes(transcodeBytes(explicit.bytes, TS.ExplicitVRBigEndian).bytes, 'x');
    expect(fromExplicit.get('(0009,1001)')).to.equal('private text');
    expect(fromExplicit.get('(0009,1002)')).to.equal(1234567);
    expect(fromExplicit.element('(0009,1002)')!.vr).to.equal('UL');
    const fromImplicit = scanHeaderBytes(
      transcodeBytes(implicit.bytes, TS.ExplicitVRLittleEndian).bytes,
      'x',
    );
    expect(fromImplicit.element('(0009,0010)')!.vr).to.equal('LO'); // private creator
    expect(fromImplicit.element('(0009,1002)')!.vr).to.equal('UN');
    expect([...(fromImplicit.get('(0009,1002)') as Uint8Array)]).to.deep.equal([0x87, 0xd6, 0x12, 0x00]);
    expect(fromImplicit.element('(0009,1010)')!.vr).to.equal('SQ'); // undefined length: a sequence
  });

  it('implicit → explicit takes VRs from the full dictionary and settles US/SS by PixelRepresentation', () => {
    const [inst] = synthSeries({ seed: 'vr', instances: 1, rows: 8, columns: 8 });
    const extra: WriteElement[] = [
      { tag: 0x00181100, vr: 'DS', value: 350 }, // ReconstructionDiameter: not in berth's small dictionary
      { tag: 0x00181152, vr: 'IS', value: 100 }, // Exposure
      { tag: 0x00080000, vr: 'UL', value: 1234 }, // a group length, dropped on rewrite
    ];
    const implicit = encodePart10([...inst!.elements, ...extra], {
      transferSyntaxUid: TS.ImplicitVRLittleEndian,
    });
    const out = scanHeaderBytes(transcodeBytes(implicit, TS.ExplicitVRLittleEndian).bytes, 'x');
    expect(out.element('(0018,1100)')!.vr).to.equal('DS');
    expect(out.get('(0018,1100)')).to.equal(350);
    expect(out.element('(0018,1152)')!.vr).to.equal('IS');
    expect(out.element('PixelPaddingValue')!.vr).to.equal('SS');
    expect(out.get('PixelPaddingValue')).to.equal(-2000);
    expect(out.pixelData!.vr).to.equal('OW');
    expect(out.has('(0008,0000)')).to.equal(false);
  });

  it('rewrites the meta group: new syntax and implementation, the MediaStorage UIDs kept', () => {
    const src = all[0]!;
    const out = scanHeaderBytes(transcodeBytes(src.bytes, TS.ExplicitVRBigEndian).bytes, 'x');
    expect(out.get('TransferSyntaxUID')).to.equal(TS.ExplicitVRBigEndian);
    expect(out.get('MediaStorageSOPClassUID')).to.equal(out.SOPClassUID);
    const length = out.get('FileMetaInformationGroupLength') as number;
    expect(out.dataSetOffset).to.equal(144 + length);
  });

  it('passes compressed files through unchanged when the target is their own syntax, and refuses the rest', async () => {
    const jpegLike = jpegLikePart10();
    const same = transcodeBytes(jpegLike, TS.JPEGBaseline8Bit);
    expect(same.unchanged).to.equal(true);
    expect(same.bytes.equals(jpegLike)).to.equal(true);
    const refused = (bytes: Buffer, target: string): string => {
      try {
        transcodeBytes(bytes, target);
      } catch (e) {
        if (isBerthError(e)) return e.code;
        throw e;
      }
      return 'no error';
    };
    expect(refused(jpegLike, TS.ExplicitVRLittleEndian)).to.equal('BERTH_E_TRANSCODE_UNSUPPORTED');
    expect(refused(jpegLike, TS.RLELossless)).to.equal('BERTH_E_TRANSCODE_UNSUPPORTED');
    expect(refused(all[0]!.bytes, TS.JPEGBaseline8Bit)).to.equal('BERTH_E_TRANSCODE_UNSUPPORTED');
    expect(refused(all[0]!.bytes, '1.2.3.4')).to.equal('BERTH_E_TRANSCODE_UNSUPPORTED');
    expect(refused(Buffer.from('not dicom at all'), TS.ExplicitVRLittleEndian)).to.equal(
      'BERTH_E_NOT_PART10',
    );
  });

  it('transcodeFile writes atomically and reports a missing source', async () => {
    const dir = await tempDir('dicom');
    try {
      const src = join(dir, 'src.dcm');
      await writeFile(src, all[0]!.bytes);
      const r = await transcodeFile(src, join(dir, 'out', 'big.dcm'), TS.ExplicitVRBigEndian);
      expect(r.sourceTransferSyntaxUid).to.equal(all[0]!.ts);
      expect((await readFile(join(dir, 'out', 'big.dcm'))).equals(r.bytes)).to.equal(true);
      expect(await readdir(join(dir, 'out'))).to.deep.equal(['big.dcm']);
      // In place: the source itself becomes deflated.
      await transcodeFile(src, src, TS.DeflatedExplicitVRLittleEndian);
      expect(scanHeaderSync(src).TransferSyntaxUID).to.equal(TS.DeflatedExplicitVRLittleEndian);
      const missing = await transcodeFile(
        join(dir, 'nope.dcm'),
        join(dir, 'x.dcm'),
        TS.ExplicitVRLittleEndian,
      ).then(
        () => 'no error',
        (e: unknown) => (isBerthError(e) ? e.code : String(e)),
      );
      expect(missing).to.equal('BERTH_E_NOT_FOUND');
    } finally {
      await removeDir(dir);
    }
  });

  it('adds an element inside a sequence and swaps it: US values in items read back in big endian', () => {
    const [inst] = synthSeries({ seed: 'seq', instances: 1, rows: 4, columns: 4 });
    const seq: WriteElement = {
      tag: 0x00081140,
      vr: 'SQ',
      value: [
        [
          element('ReferencedSOPClassUID', '1.2.3'),
          { tag: 0x00081160, vr: 'IS', value: 1 },
          { tag: 0x00280010, vr: 'US', value: 513 },
        ],
      ],
    };
    const src = encodePart10([...inst!.elements.filter((e) => e.tag !== 0x00081140), seq], {
      transferSyntaxUid: TS.ExplicitVRLittleEndian,
    });
    const big = transcodeBytes(src, TS.ExplicitVRBigEndian).bytes;
    // 513 = 0x0201: little endian 01 02, big endian 02 01.
    expect(src.includes(Buffer.from([0x28, 0x00, 0x10, 0x00, 0x55, 0x53, 0x02, 0x00, 0x01, 0x02]))).to.equal(
      true,
    );
    expect(big.includes(Buffer.from([0x00, 0x28, 0x00, 0x10, 0x55, 0x53, 0x00, 0x02, 0x02, 0x01]))).to.equal(
      true,
    );
  });
});

describe('dicom/transcode: real peers read every output alike', () => {
  let dir: string;
  const files: { path: string; source: Source; target: string }[] = [];

  before(async () => {
    dir = await tempDir('dicom');
    for (const source of sources()) {
      for (const target of SYNTAXES) {
        const path = join(dir, `${source.name}-to-${SHORT[target]}.dcm`);
        await writeFile(path, transcodeBytes(source.bytes, target).bytes);
        files.push({ path, source, target });
      }
    }
  });
  after(() => removeDir(dir));

  it('dcmftest accepts every transcoded file', async function () {
    await requirePeer(this, DCMTK_PEER);
    const r = await run(
      '/usr/bin/dcmftest',
      files.map((f) => f.path),
    );
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  });

  it('dcmdump prints the same data set for every explicit output of a source (values swapped right, sequences included)', async function () {
    this.timeout(60_000);
    await requirePeer(this, DCMTK_PEER);
    const dumps = new Map<string, string[]>();
    for (const f of files) {
      // Implicit outputs lose private VRs (by design); compare the explicit family.
      if (f.target === TS.ImplicitVRLittleEndian || f.source.ts === TS.ImplicitVRLittleEndian) continue;
      const r = await run('/usr/bin/dcmdump', ['-q', '-dc', '+L', f.path]);
      expect(r.code, r.stderr).to.equal(0);
      const lines = r.stdout
        .split('\n')
        .filter((l) => !/^\(0002,|^# |^$/.test(l))
        .map((l) =>
          l.replace(/\s+#.*$/, '').replace(/(Sequence|Item) with (explicit|undefined) length.*/, '$1'),
        );
      const key = f.source.name.split('-')[0]!;
      const first = dumps.get(key);
      if (first) expect(lines, `${f.path} vs the first ${key}`).to.deep.equal(first);
      else dumps.set(key, lines);
    }
    expect(dumps.size).to.equal(SPECS.length);
  });

  it('pydicom reads the same UIDs and decodes the same pixels from every output', async function () {
    this.timeout(60_000);
    await requirePeer(this, PYDICOM_PEER);
    const r = await runPython(PYDICOM_SCRIPT, { args: files.map((f) => f.path), timeoutMs: 60_000 });
    expect(r.code, r.stderr).to.equal(0);
    const rows = r.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows).to.have.length(files.length);
    for (const row of rows) {
      const f = files.find((x) => x.path === row.path)!;
      const h = scanHeaderSync(f.path);
      expect(row.ts).to.equal(f.target);
      expect(row.sop).to.equal(h.SOPInstanceUID);
      expect(row.meta_sop).to.equal(h.SOPInstanceUID);
      expect(row.series).to.equal(h.SeriesInstanceUID);
      expect(row.study).to.equal(h.StudyInstanceUID);
      expect(row.checksum, `${f.path} (${row.dtype})`).to.equal(pixelChecksum(f.source.pixels));
    }
  });
});
