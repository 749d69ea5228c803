import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkDicomProperty } from '../../src/kinds/dicom-property.js';
import { deriveInstance } from '../../src/dicom/derive.js';
import { parseFull } from '../support/dicom-parser.js';
import { readPixels } from '../../src/dicom/pixels.js';
import { repairedBytes, repairMetaFile } from '../../src/dicom/repair.js';
import { scanHeader, scanHeaderBytes } from '../../src/dicom/scan.js';
import { materialiseDicom } from '../../src/harness/dicom-case.js';
import { definition } from '../support/dicom-fixtures.js';
import { runPython } from '../support/python.js';
import { requirePeer } from '../support/peers.js';
import { removeDir, tempDir } from '../support/temp.js';
import { DCMTK_PEER, PYDICOM_PEER, run } from '../support/dicom-peers.js';

/**
 * pydicom writes one small signed CT image per meta defect (written as-is, write_like_original),
 * reads each back (force=True, as a user would) and prints what it sees, one JSON line per file.
 */
const MAKE = `
import sys, json
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import generate_uid
out = sys.argv[1]
CT = '1.2.840.10008.5.1.4.1.1.2'
def base(ts_implicit=False, little=True):
    ds = Dataset()
    ds.SpecificCharacterSet = 'ISO_IR 100'
    ds.SOPClassUID = CT
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.FrameOfReferenceUID = generate_uid()
    ds.Modality = 'CT'
    ds.PatientName = 'Müller^Jürgen'
    ds.SeriesDescription = 'meta defects'
    ds.InstanceNumber = 1
    ds.ImagePositionPatient = [0, 0, 0]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [1, 1]
    ds.Rows = 4; ds.Columns = 4
    ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 16; ds.BitsStored = 16; ds.HighBit = 15; ds.PixelRepresentation = 1
    arr = np.arange(16, dtype='<i2').reshape(4, 4) - 8
    ds.PixelData = (arr.astype('>i2') if not little else arr).tobytes()
    ds.is_implicit_VR = ts_implicit; ds.is_little_endian = little
    return ds
def meta(ds, ts, cls=True, inst=True):
    m = FileMetaDataset()
    if cls is not None: m.MediaStorageSOPClassUID = ds.SOPClassUID if cls is True else cls
    if inst is not None: m.MediaStorageSOPInstanceUID = ds.SOPInstanceUID if inst is True else inst
    if ts: m.TransferSyntaxUID = ts
    m.ImplementationClassUID = '1.2.3.4'
    ds.file_meta = m
    ds.preamble = b'\\0' * 128
CASES = []
def case(name, ds, codes):
    path = f'{out}/{ds.SOPInstanceUID}.dcm'
    ds.save_as(path, write_like_original=True)
    CASES.append((name, path, codes))
ds = base(); meta(ds, '1.2.840.10008.1.2.1', inst='1.2.3.999'); case('instance-mismatch', ds, ['BERTH_E_DICOM_META_MISMATCH'])
ds = base(); meta(ds, '1.2.840.10008.1.2.1', cls='1.2.840.10008.5.1.4.1.1.4'); case('class-mismatch', ds, ['BERTH_E_DICOM_META_MISMATCH'])
ds = base(); meta(ds, '1.2.840.10008.1.2.1', cls=None, inst=None); case('no-media-storage', ds, ['BERTH_E_DICOM_META_MISSING', 'BERTH_E_DICOM_META_MISSING'])
ds = base(); meta(ds, None); case('no-ts-explicit-le', ds, ['BERTH_E_DICOM_META_MISSING'])
ds = base(True); meta(ds, None); case('no-ts-implicit-le', ds, ['BERTH_E_DICOM_META_MISSING'])
ds = base(False, False); meta(ds, None); case('no-ts-explicit-be', ds, ['BERTH_E_DICOM_META_MISSING'])
ds = base(True); case('raw-implicit-le', ds, ['BERTH_E_DICOM_META_MISSING', 'BERTH_E_DICOM_META_MISSING', 'BERTH_E_DICOM_META_MISSING'])
ds = base(False); case('raw-explicit-le', ds, ['BERTH_E_DICOM_META_MISSING', 'BERTH_E_DICOM_META_MISSING', 'BERTH_E_DICOM_META_MISSING'])
for name, path, codes in CASES:
    r = pydicom.dcmread(path, force=True)
    print(json.dumps({'name': name, 'path': path, 'codes': codes, 'sop': r.SOPInstanceUID, 'cls': r.SOPClassUID,
      'pn': str(r.PatientName), 'rows': int(r.Rows), 'pixels': [int(x) for x in r.pixel_array.ravel()] if 'TransferSyntaxUID' in r.file_meta else None},
      ensure_ascii=False))
`;

interface Made {
  name: string;
  path: string;
  codes: string[];
  sop: string;
  cls: string;
  pn: string;
  rows: number;
  pixels: number[] | null;
}

describe('dicom: tolerant reading of file meta defects, exact writing', () => {
  let tmp: string;
  let made: Made[] = [];
  before(async function () {
    await requirePeer(this, PYDICOM_PEER);
    tmp = await tempDir('meta');
    const r = await runPython(MAKE, { args: [tmp] });
    expect(r.code, r.stderr.toString()).to.equal(0);
    made = r.stdout
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Made);
  });
  after(() => removeDir(tmp));

  it('reads every pydicom-made meta defect as pydicom does, with a warning code for each defect', async () => {
    expect(made.map((m) => m.name)).to.have.length(8);
    for (const m of made) {
      const h = await scanHeader(m.path);
      expect([h.SOPInstanceUID, h.SOPClassUID, h.get('PatientName'), h.Rows], m.name).to.deep.equal([
        m.sop,
        m.cls,
        m.pn,
        m.rows,
      ]);
      expect(
        h.warnings.map((w) => w.code),
        m.name,
      ).to.deep.equal(m.codes);
      const px = await readPixels(m.path, h);
      expect(px.kind).to.equal('native');
      const values = Array.from(px.kind === 'native' ? px.data : []);
      expect(values, m.name).to.deep.equal(m.pixels ?? Array.from({ length: 16 }, (_, i) => i - 8));
    }
  });

  it('the full parser (dicom-parser) reads them too, by the syntax berth detects', () => {
    for (const m of made) {
      const ds = parseFull(m.path);
      expect([ds.string('x00080018'), ds.string('x00100010'), ds.uint16('x00280010')], m.name).to.deep.equal([
        m.sop,
        m.pn,
        m.rows,
      ]);
    }
  });

  it('reports meta defects as warnings, never as a broken input', async () => {
    const machine = definition({ x: { 'dicom-type': 'dicom-image' } });
    for (const m of made) {
      const findings = await checkDicomProperty(machine.inputs[0]!, m.path, 'in');
      expect(
        findings.filter((f) => f.severity === 'error'),
        m.name,
      ).to.deep.equal([]);
      expect([...new Set(findings.map((f) => f.code))].sort(), m.name).to.deep.equal(
        [...new Set(m.codes)].sort(),
      );
    }
  });

  it('repairs the meta from the data set, keeping the data set bytes; dcmdump and pydicom agree', async function () {
    await requirePeer(this, DCMTK_PEER);
    for (const m of made) {
      const before = await readFile(m.path);
      const h = await scanHeader(m.path);
      const fixed = repairedBytes(before, h)!;
      expect(
        fixed
          .subarray(fixed.length - (before.length - h.dataSetOffset))
          .equals(before.subarray(h.dataSetOffset)),
      ).to.equal(true);
      const out = path.join(tmp, `fixed-${m.name}.dcm`);
      await writeFile(out, fixed);
      const again = await scanHeader(out);
      expect(again.warnings, m.name).to.deep.equal([]);
      expect([again.MediaStorageSOPInstanceUID, again.MediaStorageSOPClassUID]).to.deep.equal([m.sop, m.cls]);
      const dump = await run('dcmdump', ['-Un', out]);
      expect(dump.code, dump.stderr).to.equal(0);
      const metaLine = (tag: string): string | undefined =>
        dump.stdout.split('\n').find((l) => l.startsWith(`(${tag})`));
      expect(metaLine('0002,0002')).to.contain(`[${m.cls}]`);
      expect(metaLine('0002,0003')).to.contain(`[${m.sop}]`);
      expect(metaLine('0002,0010')).to.contain(`[${h.TransferSyntaxUID}]`);
      const py = await runPython(
        'import sys, pydicom\nd = pydicom.dcmread(sys.argv[1])\nm = d.file_meta\n' +
          'print(m.MediaStorageSOPInstanceUID == d.SOPInstanceUID and m.MediaStorageSOPClassUID == d.SOPClassUID, m.TransferSyntaxUID)',
        { args: [out] },
      );
      expect(py.stdout.toString().trim(), m.name).to.equal(`True ${h.TransferSyntaxUID}`);
    }
  });

  it('the case materialiser lays out a defective file with its meta repaired', async () => {
    const machine = definition({ x: { 'dicom-type': 'dicom-image' } });
    for (const m of made) {
      const dest = path.join(tmp, 'laid', m.name, 'x.dcm');
      await materialiseDicom(machine.inputs[0]!, { dicom: m.path }, dest, tmp);
      const h = await scanHeader(dest);
      expect(h.warnings, m.name).to.deep.equal([]);
      expect(h.SOPInstanceUID).to.equal(m.sop);
      expect(await repairMetaFile(dest)).to.equal(false);
    }
  });

  it('derives from a source whose meta disagrees with a meta naming the data set', async () => {
    const m = made.find((x) => x.name === 'class-mismatch')!;
    const out = deriveInstance(
      await readFile(m.path),
      { data: new Int16Array(16), rows: 4, columns: 4 },
      { seriesInstanceUid: '2.25.1', sopInstanceUid: '2.25.2' },
    );
    const h = scanHeaderBytes(out, 'derived');
    expect(h.warnings).to.deep.equal([]);
    expect([h.MediaStorageSOPClassUID, h.MediaStorageSOPInstanceUID]).to.deep.equal([m.cls, '2.25.2']);
  });
});
