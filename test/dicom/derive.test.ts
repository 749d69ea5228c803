/**
 * Deriving a series: new UIDs and pixels, everything else (private tags and character set included)
 * kept; checked by berth's own reader and by dcmtk, dciodvfy and pydicom.
 */
import { expect } from 'chai';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isBerthError } from '../../src/errors.js';
import {
  deriveInstance,
  deriveSeries,
  type DerivedPixels,
  type DerivedSeries,
} from '../../src/dicom/derive.js';
import { readPixels } from '../../src/dicom/pixels.js';
import { scanHeaderSync, type DicomHeader } from '../../src/dicom/scan.js';
import { synthSeries, type SeriesSpec } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { encodePart10, type WriteElement } from '../../src/dicom/write.js';
import { requirePeer } from '../support/peers.js';
import { removeDir, tempDir } from '../support/temp.js';
import {
  DCMTK_PEER,
  DICOM3TOOLS_PEER,
  pixelChecksum,
  PYDICOM_PEER,
  PYDICOM_SCRIPT,
  run,
  runPython,
  jpegLikePart10,
} from '../support/dicom-peers.js';
import { codeOf } from '../support/codes.js';

const LATIN1_NAME = Buffer.from('Müller^Jürgen ', 'latin1'); // 14 bytes: even, as DICOM wants

/** Writes a source series whose text is Latin-1 (ISO_IR 100), with private tags and sequences. */
async function writeSource(
  dir: string,
  spec: SeriesSpec,
  ts: string = TS.ExplicitVRLittleEndian,
): Promise<string[]> {
  const paths: string[] = [];
  for (const inst of synthSeries(spec)) {
    const elements: WriteElement[] = inst.elements.map((e) =>
      e.tag === 0x00080005
        ? { ...e, value: 'ISO_IR 100' }
        : e.tag === 0x00100010
          ? { tag: e.tag, vr: 'PN', value: new Uint8Array(LATIN1_NAME) }
          : e,
    );
    // The OT generator leaves out Laterality, which dciodvfy wants in secondary capture (Type 2C).
    if (spec.modality === 'OT') elements.push({ tag: 0x00200060, vr: 'CS', value: '' });
    const path = join(dir, `${inst.sopInstanceUid}.dcm`);
    await writeFile(path, encodePart10(elements, { transferSyntaxUid: ts, undefinedLengthSequences: true }));
    paths.push(path);
  }
  return paths;
}

function ctPixels(i: number): DerivedPixels {
  const data = new Int16Array(32 * 40);
  for (let k = 0; k < data.length; k++) data[k] = ((k * 7 + i * 13) % 2000) - 1000;
  return { data, rows: 32, columns: 40 };
}

describe('dicom/derive: a new series from an input series', () => {
  let dir: string;
  let ctSources: string[];
  let ct: DerivedSeries;
  let mask: DerivedSeries;
  const maskPixels: DerivedPixels[] = [];

  before(async () => {
    dir = await tempDir('dicom');
    await mkdir(join(dir, 'ct-in'), { recursive: true });
    await mkdir(join(dir, 'ot-in'), { recursive: true });
    ctSources = await writeSource(join(dir, 'ct-in'), {
      seed: 'derive',
      instances: 3,
      privateTags: true,
      sequences: 'undefined',
    });
    ct = await deriveSeries(ctSources, join(dir, 'ct-out'), (_h, i) => ctPixels(i), {
      seed: 'derive',
      seriesDescription: 'filtered',
    });
    const otSources = await writeSource(
      join(dir, 'ot-in'),
      { seed: 'derive', modality: 'OT', seriesIndex: 1, instances: 2, privateTags: true },
      TS.ImplicitVRLittleEndian,
    );
    for (let i = 0; i < 2; i++) {
      maskPixels.push({
        data: Uint8Array.from({ length: 20 * 24 }, (_, k) => ((k + i) % 3 === 0 ? 1 : 0)),
        rows: 20,
        columns: 24,
      });
    }
    mask = await deriveSeries(otSources, join(dir, 'ot-out'), maskPixels);
  });
  after(() => removeDir(dir));

  const headers = (s: DerivedSeries): DicomHeader[] => s.files.map((f) => scanHeaderSync(f.path));

  it('gives one new series, new instances, and keeps patient, study and frame of reference', () => {
    const sources = ctSources.map((p) => scanHeaderSync(p));
    const derived = headers(ct);
    expect(derived).to.have.length(3);
    expect(new Set(derived.map((h) => h.SeriesInstanceUID))).to.have.property('size', 1);
    expect(ct.seriesInstanceUid).to.not.equal(sources[0]!.SeriesInstanceUID);
    for (const [i, h] of derived.entries()) {
      const s = sources[i]!;
      expect(h.SOPInstanceUID).to.not.equal(s.SOPInstanceUID);
      expect(h.MediaStorageSOPInstanceUID).to.equal(h.SOPInstanceUID);
      expect(h.TransferSyntaxUID).to.equal(TS.ExplicitVRLittleEndian);
      expect(h.StudyInstanceUID).to.equal(s.StudyInstanceUID);
      expect(h.FrameOfReferenceUID).to.equal(s.FrameOfReferenceUID);
      expect(h.get('PatientID')).to.equal(s.get('PatientID'));
      expect(h.ImagePositionPatient).to.deep.equal(s.ImagePositionPatient);
      expect(h.SeriesDescription).to.equal('filtered');
      expect(h.getString('ImageType')).to.equal('DERIVED\\SECONDARY\\AXIAL');
      expect(h.get('SeriesNumber')).to.equal(1001);
      expect([h.Rows, h.Columns, h.BitsAllocated, h.PixelRepresentation]).to.deep.equal([32, 40, 16, 1]);
      expect(ct.files[i]!.path).to.equal(join(ct.dir, `${h.SOPInstanceUID}.dcm`));
    }
  });

  it('keeps private tags and the character set with its text bytes exactly', () => {
    for (const h of headers(ct)) {
      expect(h.get('(0009,0010)')).to.equal('BERTH SYNTH');
      expect(h.get('(0009,1001)')).to.equal('private text');
      expect(h.get('(0009,1002)')).to.equal(1234567);
      expect(h.element('(0009,1010)')!.vr).to.equal('SQ');
      expect(h.get('SpecificCharacterSet')).to.equal('ISO_IR 100');
      const pn = h.element('PatientName')!;
      expect(h.bytes.subarray(pn.offset, pn.offset + pn.length!).equals(LATIN1_NAME)).to.equal(true);
    }
  });

  it('writes the new pixels, read back identically', async () => {
    for (const [i, f] of ct.files.entries()) {
      const px = await readPixels(f.path, scanHeaderSync(f.path));
      if (px.kind !== 'native') throw new Error('native expected');
      expect(px.data).to.be.instanceOf(Int16Array);
      expect(pixelChecksum(px.data)).to.equal(pixelChecksum(ctPixels(i).data));
    }
    for (const [i, f] of mask.files.entries()) {
      const h = scanHeaderSync(f.path);
      expect(h.pixelData!.vr).to.equal('OB');
      const px = await readPixels(f.path, h);
      if (px.kind !== 'native') throw new Error('native expected');
      expect(pixelChecksum(px.data)).to.equal(pixelChecksum(maskPixels[i]!.data));
    }
  });

  it('is deterministic with a seed, random without', async () => {
    const again = await deriveSeries(ctSources, join(dir, 'ct-again'), (_h, i) => ctPixels(i), {
      seed: 'derive',
      seriesDescription: 'filtered',
    });
    expect(again.seriesInstanceUid).to.equal(ct.seriesInstanceUid);
    for (const [i, f] of again.files.entries()) {
      expect((await readFile(f.path)).equals(await readFile(ct.files[i]!.path))).to.equal(true);
    }
    const random = await deriveSeries(ctSources, join(dir, 'ct-random'), (_h, i) => ctPixels(i));
    expect(random.seriesInstanceUid).to.not.equal(ct.seriesInstanceUid);
  });

  it('takes a folder of one series, in geometric order', async () => {
    const seen: number[] = [];
    const out = await deriveSeries(join(dir, 'ct-in'), join(dir, 'ct-folder'), (h, i) => {
      seen.push(h.InstanceNumber!);
      return ctPixels(i);
    });
    expect(seen).to.deep.equal([1, 2, 3]);
    expect(await readdir(out.dir)).to.have.length(3);
  });

  it('refuses pixels that do not fit', async () => {
    const src = await readFile(ctSources[0]!);
    const ids = { seriesInstanceUid: '1.2.3', sopInstanceUid: '1.2.3.4' };
    expect(
      codeOf(() => deriveInstance(src, { data: new Int16Array(10), rows: 4, columns: 4 }, ids)),
    ).to.equal('BERTH_E_DERIVE_PIXELS');
    expect(
      codeOf(() =>
        deriveInstance(src, { data: new Int16Array(16), rows: 4, columns: 4, bitsAllocated: 8 }, ids),
      ),
    ).to.equal('BERTH_E_DERIVE_PIXELS');
    expect(
      codeOf(() =>
        deriveInstance(src, { data: new Int16Array(16), rows: 4, columns: 4, bitsStored: 17 }, ids),
      ),
    ).to.equal('BERTH_E_DERIVE_PIXELS');
    expect(
      codeOf(() => deriveInstance(src, ctPixels(0), { seriesInstanceUid: '../x', sopInstanceUid: '1.2' })),
    ).to.equal('BERTH_E_UID_FORMAT');
    const wrongCount = await deriveSeries(ctSources, join(dir, 'bad'), [ctPixels(0)]).then(
      () => 'no error',
      (e: unknown) => (isBerthError(e) ? e.code : String(e)),
    );
    expect(wrongCount).to.equal('BERTH_E_USAGE');
  });

  it('derives native pixels from a compressed source without decoding it', async () => {
    const jpegLike = jpegLikePart10();
    const data = Uint8Array.from({ length: 64 }, (_, k) => k);
    const out = deriveInstance(
      jpegLike,
      { data, rows: 8, columns: 8 },
      { seriesInstanceUid: '1.2.3', sopInstanceUid: '1.2.3.4' },
    );
    const path = join(dir, 'from-jpeg.dcm');
    await writeFile(path, out);
    const h = scanHeaderSync(path);
    expect(h.TransferSyntaxUID).to.equal(TS.ExplicitVRLittleEndian);
    const px = await readPixels(path, h);
    if (px.kind !== 'native') throw new Error('native expected');
    expect([...px.data]).to.deep.equal([...data]);
  });

  it('dcmftest and dcmdump read every derived file, private tags included', async function () {
    await requirePeer(this, DCMTK_PEER);
    const files = [...ct.files, ...mask.files].map((f) => f.path);
    const r = await run('/usr/bin/dcmftest', files);
    expect(r.code, r.stdout).to.equal(0);
    for (const f of ct.files) {
      const d = await run('/usr/bin/dcmdump', ['-q', f.path]);
      expect(d.code, d.stderr).to.equal(0);
      expect(d.stdout).to.match(/\(0009,1001\) LO \[private text\]/);
      expect(d.stdout).to.match(/\(0009,1002\) UL 1234567/);
      expect(d.stdout).to.match(/\(0008,2112\) SQ/);
      expect(d.stdout).to.include(`(0008,0018) UI [${f.sopInstanceUid}]`);
    }
  });

  it('dciodvfy finds no errors in the derived CT and secondary capture images', async function () {
    this.timeout(60_000);
    await requirePeer(this, DICOM3TOOLS_PEER);
    for (const f of [...ct.files, ...mask.files]) {
      const r = await run('/usr/bin/dciodvfy', [f.path]);
      const lines = (r.stdout + r.stderr).split('\n').filter((l) => l.trim() !== '');
      expect(
        lines.filter((l) => /\bError\b/.test(l)),
        `${f.path}:\n${lines.join('\n')}`,
      ).to.deep.equal([]);
    }
  });

  it('pydicom reads the new UIDs and decodes the new pixels identically', async function () {
    this.timeout(60_000);
    await requirePeer(this, PYDICOM_PEER);
    const all = [
      ...ct.files.map((f, i) => ({ f, series: ct, pixels: ctPixels(i).data })),
      ...mask.files.map((f, i) => ({ f, series: mask, pixels: maskPixels[i]!.data })),
    ];
    const r = await runPython(PYDICOM_SCRIPT, { args: all.map((x) => x.f.path), timeoutMs: 60_000 });
    expect(r.code, r.stderr).to.equal(0);
    const rows = r.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    for (const [i, row] of rows.entries()) {
      const x = all[i]!;
      expect(row.sop).to.equal(x.f.sopInstanceUid);
      expect(row.meta_sop).to.equal(x.f.sopInstanceUid);
      expect(row.series).to.equal(x.series.seriesInstanceUid);
      expect(row.study).to.equal(x.series.studyInstanceUid);
      expect(row.checksum, `${x.f.path} (${row.dtype})`).to.equal(pixelChecksum(x.pixels));
    }
  });
});
