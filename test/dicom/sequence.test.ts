import { expect } from 'chai';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { scanHeader, scanHeaderBytes } from '../../src/dicom/scan.js';
import { codeOf } from '../support/codes.js';
import { DicomItem } from '../../src/dicom/sequence.js';
import { runPython } from '../support/python.js';
import { requirePeer } from '../support/peers.js';
import { removeDir, tempDir } from '../support/temp.js';
import { PYDICOM_PEER } from '../support/dicom-peers.js';

/**
 * pydicom writes the same instance in three encodings — explicit VR LE with defined lengths,
 * explicit VR LE with undefined-length sequences and items, implicit VR LE — holding a
 * ReferencedImageSequence of two items, the first with a nested PurposeOfReferenceCodeSequence.
 */
const MAKE = `
import sys, json
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid
out = sys.argv[1]
def item(i, nested):
    it = Dataset()
    it.ReferencedSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
    it.ReferencedSOPInstanceUID = '1.2.3.%d' % i
    it.ReferencedFrameNumber = [1, 2]
    if nested:
        code = Dataset()
        code.CodeValue = '121311'; code.CodingSchemeDesignator = 'DCM'; code.CodeMeaning = 'Localizer'
        it.PurposeOfReferenceCodeSequence = Sequence([code])
    return it
for name, implicit, undefined in [('explicit', False, False), ('undefined', False, True), ('implicit', True, False)]:
    ds = Dataset()
    ds.SOPClassUID = '1.2.840.10008.5.1.4.1.1.7'; ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid(); ds.SeriesInstanceUID = generate_uid(); ds.Modality = 'OT'
    seq = Sequence([item(1, True), item(2, False)])
    ds.ReferencedImageSequence = seq
    if undefined:
        seq.is_undefined_length = True
        for it in seq: it.is_undefined_length_sequence_item = True
        ds.ReferencedImageSequence[0].PurposeOfReferenceCodeSequence.is_undefined_length = True
    ds.SliceThickness = '2.5'
    m = FileMetaDataset(); m.MediaStorageSOPClassUID = ds.SOPClassUID; m.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    m.TransferSyntaxUID = '1.2.840.10008.1.2' if implicit else '1.2.840.10008.1.2.1'
    ds.file_meta = m; ds.is_implicit_VR = implicit; ds.is_little_endian = True
    path = '%s/%s.dcm' % (out, name)
    ds.save_as(path, write_like_original=False)
    r = pydicom.dcmread(path)
    seen = [{'uid': x.ReferencedSOPInstanceUID, 'frames': [int(f) for f in x.ReferencedFrameNumber],
             'purpose': [c.CodeMeaning for c in x.get('PurposeOfReferenceCodeSequence', [])]}
            for x in r.ReferencedImageSequence]
    print(json.dumps({'path': path, 'items': seen, 'thickness': float(r.SliceThickness)}))
`;

describe('dicom/sequence: sequences read as nested data sets through header.get', () => {
  let tmp: string;
  let made: {
    path: string;
    items: { uid: string; frames: number[]; purpose: string[] }[];
    thickness: number;
  }[] = [];
  before(async function () {
    await requirePeer(this, PYDICOM_PEER);
    tmp = await tempDir('seq');
    const r = await runPython(MAKE, { args: [tmp] });
    expect(r.code, r.stderr.toString()).to.equal(0);
    made = r.stdout
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as (typeof made)[number]);
  });
  after(() => removeDir(tmp));

  it('gives the items of a sequence, nested ones too, as pydicom reads them, in every encoding', async () => {
    expect(made.map((m) => path.basename(m.path))).to.deep.equal([
      'explicit.dcm',
      'undefined.dcm',
      'implicit.dcm',
    ]);
    for (const m of made) {
      const h = await scanHeader(m.path);
      const items = h.get('ReferencedImageSequence');
      expect(Array.isArray(items) && items.every((i) => i instanceof DicomItem), m.path).to.equal(true);
      const seen = (items as DicomItem[]).map((it) => ({
        uid: it.get('ReferencedSOPInstanceUID'),
        frames: it.getNumbers('ReferencedFrameNumber'),
        purpose: ((it.get('PurposeOfReferenceCodeSequence') as DicomItem[] | undefined) ?? []).map((c) =>
          c.getString('CodeMeaning'),
        ),
      }));
      expect(seen, m.path).to.deep.equal(m.items);
      expect(h.get('SliceThickness'), m.path).to.equal(m.thickness);
      expect(h.getString('ReferencedImageSequence')).to.equal(undefined);
    }
  });

  it('refuses an item element whose length runs past its item, with a code, not a crash', async () => {
    const bytes = await readFile(made[0]!.path);
    const h = scanHeaderBytes(bytes, 'x');
    const el = h.element('ReferencedImageSequence')!;
    // The first item's first element: (0008,1150) UI, its 2-byte length 16 bytes into the sequence.
    const broken = Buffer.from(bytes);
    const at = broken.indexOf(Buffer.from([0x08, 0x00, 0x50, 0x11, 0x55, 0x49]), el.offset);
    broken.writeUInt16LE(0xfff0, at + 6);
    const bad = scanHeaderBytes(broken, 'x');
    expect(
      codeOf(() => (bad.get('ReferencedImageSequence') as DicomItem[])[0]!.get('ReferencedSOPClassUID')),
    ).to.equal('BERTH_E_DICOM_PARSE');
  });
});
