/**
 * Re-identification: de-identify → re-identify restores the original UIDs and Patient/Study
 * attributes byte for byte; in a machine's output, references to inputs go back to the originals,
 * UIDs the machine minted stay, and the markers go.
 */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { Deidentifier } from '../../../src/dicom/deid/deidentify.js';
import { checkMap } from '../../../src/dicom/deid/map.js';
import { PATIENT_STUDY_TAGS, reidentify } from '../../../src/dicom/deid/restore.js';
import { writeSeries } from '../../../src/dicom/synth.js';
import { TS } from '../../../src/dicom/transfer-syntax.js';
import { encodePart10, element, type WriteElement } from '../../../src/dicom/write.js';
import { removeDir, tempDir } from '../../support/temp.js';
import { flatten, top } from './support.js';

const SECRET = 'restore-test-secret-0123456789';
const MARKERS = ['00120062', '00120063', '00120064', '00280303'];

describe('dicom/deid/restore', () => {
  let dir: string;
  let original: Buffer;
  before(async () => {
    dir = await tempDir('reid');
    const s = await writeSeries(dir, {
      seed: 'reid',
      instances: 1,
      sequences: 'undefined',
      privateTags: true,
      patientName: 'Roe^Richard',
      patientId: 'ID-7788',
      studyDescription: 'Chest CT for Roe',
    });
    original = await readFile(s.files[0]!.path);
  });
  after(() => removeDir(dir));

  it('restores every original UID and the Patient/Study attributes byte for byte, markers removed', () => {
    const d = new Deidentifier({ secret: SECRET });
    const deid = d.deidentify(original, 'in.dcm');
    const map = checkMap(JSON.parse(JSON.stringify(d.map())), 'map.json');
    const back = flatten(reidentify(deid.bytes, map, 'out.dcm').bytes);
    const before = flatten(original);
    let uids = 0;
    for (const [k, v] of before) {
      const tag = parseInt(k.slice(-8), 16);
      if (v.vr === 'UI' && !k.startsWith('meta.0002001')) {
        expect(back.get(k)?.bytes.equals(v.bytes), k).to.equal(true);
        uids++;
      }
      if (!k.includes('.') && PATIENT_STUDY_TAGS.has(tag))
        expect(back.get(k)?.bytes.equals(v.bytes), k).to.equal(true);
    }
    expect(uids).to.be.at.least(6);
    for (const m of MARKERS) expect(back.has(m), m).to.equal(false);
  });

  it('maps a machine output back to the inputs: SR references and source images original, its own UIDs kept', () => {
    const d = new Deidentifier({ secret: SECRET });
    const deid = d.deidentify(original, 'in.dcm');
    const seen = (tag: number): string => top(deid.bytes, tag)!;
    const minted = { series: '2.25.111111111111111111', sop: '2.25.222222222222222222' };
    const ref = (sop: string): WriteElement[][] => [
      [element('ReferencedSOPClassUID', seen(0x00080016)), element('ReferencedSOPInstanceUID', sop)],
    ];
    // What a machine writes having seen only the de-identified input: an SR-like output.
    const output = encodePart10(
      [
        element('SOPClassUID', '1.2.840.10008.5.1.4.1.1.88.22'),
        element('SOPInstanceUID', minted.sop),
        element('StudyInstanceUID', seen(0x0020000d)),
        element('SeriesInstanceUID', minted.series),
        element('PatientName', ''),
        element('PatientID', seen(0x00100020)),
        { tag: 0x00120062, vr: 'CS', value: 'YES' },
        {
          tag: 0x0040a730,
          vr: 'SQ',
          value: [[{ tag: 0x00081199, vr: 'SQ', value: ref(seen(0x00080018)) }]],
        },
        { tag: 0x00082112, vr: 'SQ', value: ref(seen(0x00080018)) },
        element('FrameOfReferenceUID', seen(0x00200052)),
      ],
      { transferSyntaxUid: TS.ExplicitVRLittleEndian },
    );
    const r = reidentify(output, d.map(), 'sr.dcm');
    const back = flatten(r.bytes);
    const orig = flatten(original);
    const text = (k: string): string | undefined =>
      back
        .get(k)
        ?.bytes.toString('latin1')
        .replace(/[\0 ]+$/, '');
    expect(text('0040a730[0].00081199[0].00081155')).to.equal(top(original, 0x00080018));
    expect(text('00082112[0].00081155')).to.equal(top(original, 0x00080018));
    expect(text('0020000d')).to.equal(top(original, 0x0020000d));
    expect(text('00200052')).to.equal(top(original, 0x00200052));
    expect(text('00080018')).to.equal(minted.sop);
    expect(text('0020000e')).to.equal(minted.series);
    expect(text('meta.00020003')).to.equal(minted.sop);
    expect(back.get('00100010')!.bytes.equals(orig.get('00100010')!.bytes)).to.equal(true);
    expect(back.get('00100020')!.bytes.equals(orig.get('00100020')!.bytes)).to.equal(true);
    expect(back.get('00081030')!.bytes.equals(orig.get('00081030')!.bytes)).to.equal(true);
    expect(back.has('00120062')).to.equal(false);
    expect(r.study).to.equal(top(original, 0x0020000d));
  });
});
