import { expect } from 'chai';
import type { DicomItem } from '../../src/dicom/sequence.js';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isBerthError } from '../../src/errors.js';
import { parseFull } from '../support/dicom-parser.js';
import { scanHeader, scanHeaderBytes, scanHeaderSync } from '../../src/dicom/scan.js';
import { SOP_CLASS, synthSeries, writeSeries, type WrittenSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { encodePart10 } from '../../src/dicom/write.js';
import { removeDir, tempDir } from '../support/temp.js';

const SYNTAXES = [
  ['explicit VR little endian', TS.ExplicitVRLittleEndian],
  ['implicit VR little endian', TS.ImplicitVRLittleEndian],
  ['explicit VR big endian', TS.ExplicitVRBigEndian],
  ['deflated explicit VR little endian', TS.DeflatedExplicitVRLittleEndian],
] as const;

describe('dicom/scan: header scan', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('dicom');
  });
  after(() => removeDir(dir));

  for (const [name, ts] of SYNTAXES) {
    for (const sequences of ['defined', 'undefined'] as const) {
      it(`reads every header field in ${name} (sequences of ${sequences} length, private tags)`, async () => {
        const spec = {
          seed: 'fields',
          transferSyntaxUid: ts,
          instances: 3,
          rows: 48,
          columns: 40,
          privateTags: true,
          sequences,
          patientName: 'Müller^Jürgen',
          orientation: [1, 0, 0, 0, 0.8, -0.6] as [number, number, number, number, number, number],
        };
        const written = await writeSeries(join(dir, `${sequences}-${ts}`), spec);
        const [, second] = synthSeries(spec);
        const file = written.files[1]!;
        for (const h of [scanHeaderSync(file.path), await scanHeader(file.path)]) {
          expect(h.path).to.equal(file.path);
          expect(h.TransferSyntaxUID).to.equal(ts);
          expect(h.transferSyntax.uid).to.equal(ts);
          expect(h.SOPInstanceUID).to.equal(second!.sopInstanceUid);
          expect(h.MediaStorageSOPInstanceUID).to.equal(second!.sopInstanceUid);
          expect(h.SOPClassUID).to.equal(SOP_CLASS.CT);
          expect(h.MediaStorageSOPClassUID).to.equal(SOP_CLASS.CT);
          expect(h.SeriesInstanceUID).to.equal(written.seriesInstanceUid);
          expect(h.StudyInstanceUID).to.equal(written.studyInstanceUid);
          expect(h.FrameOfReferenceUID).to.equal(written.frameOfReferenceUid);
          expect(h.Modality).to.equal('CT');
          expect(h.InstanceNumber).to.equal(2);
          expect(h.ImagePositionPatient).to.deep.equal(file.imagePositionPatient);
          expect(h.ImageOrientationPatient).to.deep.equal([1, 0, 0, 0, 0.8, -0.6]);
          expect(h.Rows).to.equal(48);
          expect(h.Columns).to.equal(40);
          expect(h.BitsAllocated).to.equal(16);
          expect(h.BitsStored).to.equal(16);
          expect(h.PixelRepresentation).to.equal(1);
          expect(h.SamplesPerPixel).to.equal(1);
          expect(h.NumberOfFrames).to.equal(undefined);
          expect(h.frames).to.equal(1);
          expect(h.PhotometricInterpretation).to.equal('MONOCHROME2');
          expect(h.SeriesDescription).to.equal('Synthetic CT series 1');
          expect(h.StudyDescription).to.equal('Synthetic study 1');
          const size = (await readFile(file.path)).length;
          expect(h.fileSize).to.equal(size);
          expect(h.pixelData).to.include({ length: 48 * 40 * 2, encapsulated: false });
          expect(h.pixelData!.inDeflatedStream).to.equal(ts === TS.DeflatedExplicitVRLittleEndian);
          if (ts !== TS.DeflatedExplicitVRLittleEndian)
            expect(h.pixelData!.offset + 48 * 40 * 2).to.equal(size);
          // Any attribute on demand, by keyword or tag.
          expect(h.get('PatientName')).to.equal('Müller^Jürgen');
          expect(h.get('(0010,0010)')).to.equal('Müller^Jürgen');
          expect(h.get('00100020')).to.equal('BERTH-fields-1');
          expect(h.get('WindowCenter')).to.equal(40);
          expect(h.get('RescaleIntercept')).to.equal(-1024);
          expect(h.get('PixelSpacing')).to.deep.equal([0.8, 0.8]);
          expect(h.get('ImageType')).to.equal('ORIGINAL\\PRIMARY\\AXIAL');
          expect(h.get('PixelPaddingValue')).to.equal(ts === TS.ImplicitVRLittleEndian ? 63536 : -2000);
          expect(h.get('TransferSyntaxUID')).to.equal(ts);
          expect(h.get('(0009,0010)')).to.equal('BERTH SYNTH');
          const privateText = h.get('(0009,1001)');
          expect(
            typeof privateText === 'string' ? privateText : Buffer.from(privateText as Uint8Array).toString(),
          ).to.equal('private text');
          if (ts !== TS.ImplicitVRLittleEndian) expect(h.get('(0009,1002)')).to.equal(1234567);
          expect(h.has('ReferencedImageSequence')).to.equal(true);
          const items = h.get('ReferencedImageSequence') as DicomItem[];
          expect(items).to.have.length(1);
          expect(items[0]!.get('ReferencedSOPClassUID')).to.equal(h.SOPClassUID);
          expect(h.get('PatientWeight')).to.equal(undefined);
          expect(h.getString('SeriesNumber')).to.equal('1');
          expect(h.getNumbers('ImagePositionPatient')).to.deep.equal(file.imagePositionPatient);
          expect(h.bytes.length).to.be.lessThan(4096);
        }
      });
    }
  }

  it('implicit VR private values come back as bytes (their VR is unknown)', async () => {
    const w = await writeSeries(join(dir, 'implicit-private'), {
      transferSyntaxUid: TS.ImplicitVRLittleEndian,
      instances: 1,
      privateTags: true,
    });
    const h = scanHeaderSync(w.files[0]!.path);
    expect(Buffer.from(h.get('(0009,1001)') as Uint8Array).toString('latin1')).to.equal('private text');
    expect(h.element('(0009,1002)')).to.deep.include({ vr: 'UN', length: 4 });
  });

  it('agrees with dicom-parser on every core field (cross-check)', async () => {
    for (const [, ts] of SYNTAXES) {
      const w = await writeSeries(join(dir, `cross-${ts}`), {
        transferSyntaxUid: ts,
        instances: 1,
        sequences: 'undefined',
      });
      const path = w.files[0]!.path;
      const h = scanHeaderSync(path);
      const ds = parseFull(path);
      expect(ds.string('x00080018')).to.equal(h.SOPInstanceUID);
      expect(ds.string('x0020000e')).to.equal(h.SeriesInstanceUID);
      expect(ds.string('x0020000d')).to.equal(h.StudyInstanceUID);
      expect(ds.uint16('x00280010')).to.equal(h.Rows);
      expect(ds.intString('x00200013')).to.equal(h.InstanceNumber);
      expect(ds.floatString('x00200032', 2)).to.equal(h.ImagePositionPatient![2]);
      if (ts !== TS.DeflatedExplicitVRLittleEndian) {
        expect(ds.elements.x7fe00010!.dataOffset).to.equal(h.pixelData!.offset);
      }
      expect(ds.elements.x7fe00010!.length).to.equal(h.pixelData!.length);
    }
  });

  it('grows the prefix when the header is longer than the first read', async () => {
    const w = await writeSeries(join(dir, 'grow'), {
      instances: 1,
      privateTags: true,
      sequences: 'undefined',
    });
    for (const prefixBytes of [1, 64, 133, 300, 1000]) {
      const h = scanHeaderSync(w.files[0]!.path, { prefixBytes });
      expect(h.SOPInstanceUID).to.equal(w.files[0]!.sopInstanceUid);
      const a = await scanHeader(w.files[0]!.path, { prefixBytes });
      expect(a.SOPInstanceUID).to.equal(w.files[0]!.sopInstanceUid);
    }
  });

  it('reads a long header (a 100 KB element before the pixels) and a deflated file from a small prefix', async () => {
    const [inst] = synthSeries({ instances: 1, rows: 256, columns: 256 });
    const big = [...inst!.elements, { tag: 0x00091001, vr: 'OB' as const, value: new Uint8Array(100_000) }];
    for (const ts of [TS.ExplicitVRLittleEndian, TS.DeflatedExplicitVRLittleEndian, TS.ExplicitVRBigEndian]) {
      const path = join(dir, `long-${ts}.dcm`);
      await writeFile(path, encodePart10(big, { transferSyntaxUid: ts }));
      const h = scanHeaderSync(path, { prefixBytes: 4096 });
      expect(h.SOPInstanceUID).to.equal(inst!.sopInstanceUid);
      expect(h.pixelData!.length).to.equal(256 * 256 * 2);
      expect((h.get('(0009,1001)') as Uint8Array).length).to.equal(100_000);
    }
  });

  it('stops at the pixel data of a file with no pixel data and reads to its end', async () => {
    const [inst] = synthSeries({ instances: 1 });
    const path = join(dir, 'no-pixels.dcm');
    await writeFile(
      path,
      encodePart10(
        inst!.elements.filter((e) => e.tag !== 0x7fe00010),
        { transferSyntaxUid: TS.ExplicitVRLittleEndian },
      ),
    );
    const h = scanHeaderSync(path, { prefixBytes: 200 });
    expect(h.pixelData).to.equal(undefined);
    expect(h.Rows).to.equal(64);
  });

  it('scans bytes in memory (scanHeaderBytes), and a Uint8Array as well as a Buffer', async () => {
    const [inst] = synthSeries({ instances: 1 });
    const bytes = encodePart10(inst!.elements, { transferSyntaxUid: TS.ExplicitVRLittleEndian });
    expect(scanHeaderBytes(bytes, 'mem').SOPInstanceUID).to.equal(inst!.sopInstanceUid);
    expect(scanHeaderBytes(new Uint8Array(bytes), 'mem').SOPInstanceUID).to.equal(inst!.sopInstanceUid);
    const prefix = bytes.subarray(0, 600);
    try {
      scanHeaderBytes(prefix, 'mem', { fileSize: bytes.length });
      expect.fail('should throw');
    } catch (e) {
      expect(isBerthError(e) && e.code).to.equal('BERTH_E_TRUNCATED');
    }
  });

  it('reports a missing file as BERTH_E_NOT_FOUND and an unknown keyword as BERTH_E_USAGE', async () => {
    expect(() => scanHeaderSync(join(dir, 'nope.dcm')))
      .to.throw()
      .with.property('code', 'BERTH_E_NOT_FOUND');
    try {
      await scanHeader(join(dir, 'nope.dcm'));
      expect.fail('should throw');
    } catch (e) {
      expect(isBerthError(e) && e.code).to.equal('BERTH_E_NOT_FOUND');
    }
    const w: WrittenSeries = await writeSeries(join(dir, 'kw'), { instances: 1 });
    const h = scanHeaderSync(w.files[0]!.path);
    expect(() => h.get('NoSuchKeyword'))
      .to.throw()
      .with.property('code', 'BERTH_E_USAGE');
  });

  it('reads multi-frame, 8-bit and unsigned modalities (OT, MR, CR)', async () => {
    const ot = await writeSeries(join(dir, 'ot'), {
      modality: 'OT',
      instances: 1,
      frames: 4,
      rows: 16,
      columns: 20,
    });
    const h = scanHeaderSync(ot.files[0]!.path);
    expect(h).to.include({ Modality: 'OT', NumberOfFrames: 4, BitsAllocated: 8, PixelRepresentation: 0 });
    expect(h.SOPClassUID).to.equal(SOP_CLASS.OTMultiFrame);
    expect(h.pixelData!.length).to.equal(16 * 20 * 4);
    expect(h.ImagePositionPatient).to.equal(undefined);
    const mr = await writeSeries(join(dir, 'mr'), { modality: 'MR', instances: 2 });
    expect(scanHeaderSync(mr.files[0]!.path)).to.include({
      Modality: 'MR',
      BitsStored: 12,
      PixelRepresentation: 0,
    });
    const cr = await writeSeries(join(dir, 'cr'), { modality: 'CR' });
    expect(scanHeaderSync(cr.files[0]!.path)).to.include({ Modality: 'CR', FrameOfReferenceUID: undefined });
  });
});
