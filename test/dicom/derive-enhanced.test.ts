/**
 * Deriving from an enhanced multi-frame source (functional groups): the output must be no less
 * IOD-valid than the input by dciodvfy, or derive must refuse with a reason.
 */
import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deriveInstance } from '../../src/dicom/derive.js';
import { scanHeaderBytes } from '../../src/dicom/scan.js';
import { codeOf } from '../support/codes.js';
import { runPython } from '../support/python.js';
import { requirePeer } from '../support/peers.js';
import { removeDir, tempDir } from '../support/temp.js';
import { DICOM3TOOLS_PEER, PYDICOM_PEER, run } from '../support/dicom-peers.js';

/** pydicom writes a small Enhanced CT Image: 3 frames of 8 × 8, shared and per-frame functional groups. */
const MAKE = `
import sys, numpy as np, pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid, ExplicitVRLittleEndian
out = sys.argv[1]
N, R, C = 3, 8, 8
ds = Dataset()
ds.SpecificCharacterSet = 'ISO_IR 100'
ds.ImageType = ['ORIGINAL', 'PRIMARY', 'AXIAL', 'NONE']
ds.InstanceCreationDate = '20240101'; ds.InstanceCreationTime = '120000'
ds.SOPClassUID = '1.2.840.10008.5.1.4.1.1.2.1'
ds.SOPInstanceUID = generate_uid()
ds.StudyDate = '20240101'; ds.StudyTime = '120000'; ds.ContentDate = '20240101'; ds.ContentTime = '120000'
ds.AcquisitionDateTime = '20240101120000'
ds.AccessionNumber = ''; ds.Modality = 'CT'; ds.Manufacturer = 'berth-test'; ds.ReferringPhysicianName = ''
ds.ManufacturerModelName = 'm'; ds.DeviceSerialNumber = '1'; ds.SoftwareVersions = '1'
ds.PatientName = 'Test^Enhanced'; ds.PatientID = 'E1'; ds.PatientBirthDate = ''; ds.PatientSex = ''
ds.StudyInstanceUID = generate_uid(); ds.SeriesInstanceUID = generate_uid(); ds.StudyID = '1'; ds.SeriesNumber = 1; ds.InstanceNumber = 1
ds.FrameOfReferenceUID = generate_uid(); ds.PositionReferenceIndicator = ''
ds.ContentQualification = 'RESEARCH'
ds.ImageComments = 'x'
ds.BurnedInAnnotation = 'NO'; ds.RecognizableVisualFeatures = 'NO'
ds.PresentationLUTShape = 'IDENTITY'
ds.LossyImageCompression = '00'
ds.AcquisitionNumber = 1
ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = 'MONOCHROME2'; ds.Rows = R; ds.Columns = C
ds.BitsAllocated = 16; ds.BitsStored = 16; ds.HighBit = 15; ds.PixelRepresentation = 1
ds.NumberOfFrames = N
dim = generate_uid()
ds.DimensionOrganizationSequence = Sequence([Dataset()]); ds.DimensionOrganizationSequence[0].DimensionOrganizationUID = dim
di = Dataset(); di.DimensionOrganizationUID = dim; di.DimensionIndexPointer = 0x00209157 if False else 0x00200032; di.FunctionalGroupPointer = 0x00209113
ds.DimensionIndexSequence = Sequence([di])
sh = Dataset()
pm = Dataset(); pm.PixelSpacing = [1, 1]; pm.SliceThickness = 1
sh.PixelMeasuresSequence = Sequence([pm])
po = Dataset(); po.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
sh.PlaneOrientationSequence = Sequence([po])
pvt = Dataset(); pvt.RescaleIntercept = 0; pvt.RescaleSlope = 1; pvt.RescaleType = 'HU'
sh.PixelValueTransformationSequence = Sequence([pvt])
voi = Dataset(); voi.WindowCenter = 40; voi.WindowWidth = 400
sh.FrameVOILUTSequence = Sequence([voi])
ct = Dataset(); ct.FrameType = ['ORIGINAL', 'PRIMARY', 'AXIAL', 'NONE']; ct.PixelPresentation = 'MONOCHROME'; ct.VolumetricProperties = 'VOLUME'; ct.VolumeBasedCalculationTechnique = 'NONE'
sh.CTImageFrameTypeSequence = Sequence([ct])
ds.SharedFunctionalGroupsSequence = Sequence([sh])
pf = []
for i in range(N):
    f = Dataset()
    fc = Dataset(); fc.FrameAcquisitionDateTime = '20240101120000'; fc.FrameReferenceDateTime = '20240101120000'; fc.FrameAcquisitionDuration = 1; fc.DimensionIndexValues = [i + 1]; fc.StackID = '1'; fc.InStackPositionNumber = i + 1
    f.FrameContentSequence = Sequence([fc])
    pp = Dataset(); pp.ImagePositionPatient = [0, 0, float(i)]
    f.PlanePositionSequence = Sequence([pp])
    pf.append(f)
ds.PerFrameFunctionalGroupsSequence = Sequence(pf)
ds.PixelData = (np.arange(N * R * C, dtype='<i2')).tobytes()
m = FileMetaDataset(); m.MediaStorageSOPClassUID = ds.SOPClassUID; m.MediaStorageSOPInstanceUID = ds.SOPInstanceUID; m.TransferSyntaxUID = ExplicitVRLittleEndian
ds.file_meta = m; ds.is_implicit_VR = False; ds.is_little_endian = True
ds.save_as(out + '/enhanced-ct.dcm', write_like_original=False)
print(out + '/enhanced-ct.dcm')
`;

async function iodErrors(file: string): Promise<string[]> {
  const r = await run('/usr/bin/dciodvfy', [file]);
  return `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.startsWith('Error'));
}

describe('dicom/derive: from an enhanced multi-frame source', () => {
  let tmp: string;
  let source: string;
  before(async function () {
    await requirePeer(this, PYDICOM_PEER);
    tmp = await tempDir('enhanced');
    const r = await runPython(MAKE, { args: [tmp] });
    expect(r.code, r.stderr.toString()).to.equal(0);
    source = r.stdout.toString().trim();
  });
  after(() => removeDir(tmp));

  const ids = { seriesInstanceUid: '2.25.1001', sopInstanceUid: '2.25.1002' };

  it('writes output dciodvfy finds no new error in (no more errors than the input)', async function () {
    await requirePeer(this, DICOM3TOOLS_PEER);
    const out = deriveInstance(
      await readFile(source),
      { data: new Int16Array(3 * 64), rows: 8, columns: 8 },
      ids,
    );
    const file = path.join(tmp, 'derived.dcm');
    await writeFile(file, out);
    const before = await iodErrors(source);
    const after = await iodErrors(file);
    expect(after.length).to.be.at.most(before.length);
    expect(after.filter((e) => !before.includes(e))).to.deep.equal([]);
    const h = scanHeaderBytes(out, file);
    expect(h.getString('ImageType')).to.equal('DERIVED\\PRIMARY\\AXIAL\\NONE');
    expect([h.NumberOfFrames, h.warnings]).to.deep.equal([3, []]);
  });

  it('refuses pixels whose frame count differs from the functional groups, saying why', async () => {
    const src = await readFile(source);
    expect(
      codeOf(() => deriveInstance(src, { data: new Int16Array(64), rows: 8, columns: 8 }, ids)),
    ).to.equal('BERTH_E_DERIVE_PIXELS');
    expect(() => deriveInstance(src, { data: new Int16Array(64), rows: 8, columns: 8 }, ids)).to.throw(
      /enhanced multi-frame image of 3 frames/,
    );
  });
});
