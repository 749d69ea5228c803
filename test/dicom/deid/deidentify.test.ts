/**
 * The de-identifier on synthetic studies: consistent pseudonyms across instances, series and runs,
 * one date offset per patient, the markers, the meta, and every transfer syntax berth writes.
 */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { Deidentifier } from '../../../src/dicom/deid/deidentify.js';
import { shiftDate } from '../../../src/dicom/deid/pseudonyms.js';
import { writeSeries, writeStudy, type WrittenStudy } from '../../../src/dicom/synth.js';
import { TS } from '../../../src/dicom/transfer-syntax.js';
import { element, encodePart10, type WriteElement } from '../../../src/dicom/write.js';
import { codeOf } from '../../support/codes.js';
import { removeDir, tempDir } from '../../support/temp.js';
import { flatten, top } from './support.js';

const SECRET = 'deid-test-secret-0123456789';

describe('dicom/deid/deidentify', () => {
  let dir: string;
  let study: WrittenStudy;
  let inputs: Buffer[];
  before(async () => {
    dir = await tempDir('deid');
    study = await writeStudy(`${dir}/study`, {
      seed: 'deid',
      series: ['CT', 'MR'],
      instances: 3,
      privateTags: true,
      sequences: 'undefined',
      patientName: 'Doe^Jane',
      patientId: 'MRN-0042',
    });
    inputs = await Promise.all(study.series.flatMap((s) => s.files.map((f) => readFile(f.path))));
  });
  after(() => removeDir(dir));

  it('gives every instance of a 2-series study the same pseudonymous StudyInstanceUID', () => {
    const d = new Deidentifier({ secret: SECRET });
    const results = inputs.map((b, i) => d.deidentify(b, `in${i}.dcm`));
    const studies = new Set(results.map((r) => r.studyInstanceUid));
    expect(studies.size).to.equal(1);
    expect([...studies][0])
      .to.match(/^2\.25\.\d+$/)
      .and.not.equal(study.studyInstanceUid);
    const series = new Set(results.map((r) => top(r.bytes, 0x0020000e)));
    expect(series.size).to.equal(2);
    expect(new Set(results.map((r) => r.sopInstanceUid)).size).to.equal(inputs.length);
  });

  it('shifts every date of a patient by the same whole-day offset and keeps times', () => {
    const d = new Deidentifier({ secret: SECRET });
    const results = inputs.map((b, i) => d.deidentify(b, `in${i}.dcm`));
    const shifts = new Set(results.map((r) => r.dateShiftDays));
    expect(shifts.size).to.equal(1);
    const days = [...shifts][0]!;
    expect(days).to.be.within(-3652, -1);
    inputs.forEach((b, i) => {
      expect(top(results[i]!.bytes, 0x00080020)).to.equal(shiftDate(top(b, 0x00080020)!, days));
      expect(top(results[i]!.bytes, 0x00080030)).to.equal(top(b, 0x00080030));
    });
    expect(top(results[0]!.bytes, 0x00280303)).to.equal('MODIFIED');
  });

  it('gives the same UIDs with the same secret and different ones with another secret', () => {
    const a = new Deidentifier({ secret: SECRET }).deidentify(inputs[0]!, 'a.dcm');
    const b = new Deidentifier({ secret: SECRET }).deidentify(inputs[0]!, 'b.dcm');
    const c = new Deidentifier({ secret: `${SECRET}-other` }).deidentify(inputs[0]!, 'c.dcm');
    expect(a.bytes.equals(b.bytes)).to.equal(true);
    expect(c.sopInstanceUid).to.not.equal(a.sopInstanceUid);
    expect(c.studyInstanceUid).to.not.equal(a.studyInstanceUid);
  });

  it('leaves no original UID anywhere and points the meta at the new SOPInstanceUID', () => {
    const d = new Deidentifier({ secret: SECRET });
    for (const [i, b] of inputs.entries()) {
      const out = d.deidentify(b, `in${i}.dcm`).bytes;
      for (const [k, v] of flatten(b)) {
        const uid = v.bytes.toString('latin1').replace(/\0+$/, '');
        if (k === 'meta.00020012') continue; // berth's ImplementationClassUID: not an instance UID
        if (v.vr === 'UI' && !uid.startsWith('1.2.840.10008.')) expect(out.includes(uid), k).to.equal(false);
      }
      const meta = flatten(out);
      expect(meta.get('meta.00020003')!.bytes.equals(meta.get('00080018')!.bytes)).to.equal(true);
    }
    expect(Object.keys(d.map().uids).length).to.be.greaterThan(inputs.length);
  });

  it('writes the de-identification markers with the CID 7050 codes of the options used', () => {
    const d = new Deidentifier({ secret: SECRET, retainDeviceIdentity: true, cleanDescriptors: true });
    const out = flatten(d.deidentify(inputs[0]!, 'in.dcm').bytes);
    expect(out.get('00120062')!.bytes.toString()).to.equal('YES ');
    const codes = [...out.entries()].filter(([k]) => /^00120064\[\d+\]\.00080100$/.test(k));
    expect(codes.map(([, v]) => v.bytes.toString().trim())).to.deep.equal([
      '113100',
      '113105',
      '113107',
      '113109',
    ]);
    expect(out.get('00120063')!.bytes.length).to.be.at.most(64);
  });

  it('removes private blocks unless their creator is kept', () => {
    const plain = flatten(new Deidentifier({ secret: SECRET }).deidentify(inputs[0]!, 'in.dcm').bytes);
    expect([...plain.keys()].some((k) => /(^|\.)000[9b]/.test(k))).to.equal(false);
    const kept = flatten(
      new Deidentifier({ secret: SECRET, keepPrivateCreators: ['BERTH SYNTH'] }).deidentify(
        inputs[0]!,
        'in.dcm',
      ).bytes,
    );
    expect([...kept.keys()].filter((k) => /^0009/.test(k)).length).to.be.greaterThan(1);
  });

  for (const [name, ts] of [
    ['implicit VR little endian', TS.ImplicitVRLittleEndian],
    ['explicit VR big endian', TS.ExplicitVRBigEndian],
    ['deflated explicit VR little endian', TS.DeflatedExplicitVRLittleEndian],
  ] as const) {
    it(`de-identifies ${name} in the same syntax with the same pseudonyms as explicit little endian`, async () => {
      const spec = { seed: 'ts', instances: 1, sequences: 'defined' as const, privateTags: true };
      const el = await writeSeries(`${dir}/el-${name.length}`, spec);
      const other = await writeSeries(`${dir}/ts-${name.length}`, { ...spec, transferSyntaxUid: ts });
      const a = new Deidentifier({ secret: SECRET }).deidentify(await readFile(el.files[0]!.path), 'a.dcm');
      const b = new Deidentifier({ secret: SECRET }).deidentify(
        await readFile(other.files[0]!.path),
        'b.dcm',
      );
      const fa = flatten(a.bytes);
      const fb = flatten(b.bytes);
      expect(fb.get('meta.00020010')!.bytes.toString().replace(/\0$/, '')).to.equal(ts);
      for (const [k, v] of fa) {
        if (k.startsWith('meta.') || k === '7fe00010') continue;
        expect(fb.get(k)?.bytes.equals(v.bytes), k).to.equal(true);
      }
    });
  }

  it('keeps a descriptor under Clean Descriptors only when it holds no identifying value', async () => {
    const s = await writeSeries(`${dir}/clean`, {
      seed: 'clean',
      instances: 1,
      patientName: 'Doe^Jane',
      studyDescription: 'Head CT for JANE',
      seriesDescription: 'Axial 2.5 mm',
    });
    const r = new Deidentifier({ secret: SECRET, cleanDescriptors: true }).deidentify(
      await readFile(s.files[0]!.path),
      'in.dcm',
    );
    expect(top(r.bytes, 0x0008103e)).to.equal('Axial 2.5 mm');
    expect(top(r.bytes, 0x00081030)).to.equal(undefined);
    expect(r.record.find((e) => e.attribute === 'StudyDescription')).to.deep.include({ action: 'removed' });
    expect(r.record.find((e) => e.attribute === 'StudyDescription')!.reason).to.include('PatientName');
  });

  it('fails on a truncated, a non-DICOM and a too deeply nested file with a code, never a crash', () => {
    const d = new Deidentifier({ secret: SECRET });
    expect(codeOf(() => d.deidentify(inputs[0]!.subarray(0, inputs[0]!.length - 100), 't.dcm'))).to.equal(
      'BERTH_E_TRUNCATED',
    );
    expect(codeOf(() => d.deidentify(Buffer.from('not dicom at all'), 'n.dcm'))).to.equal(
      'BERTH_E_NOT_PART10',
    );
    let deep: WriteElement[] = [{ tag: 0x00100010, vr: 'PN', value: 'Deep^Name' }];
    for (let i = 0; i < 80; i++) deep = [{ tag: 0x00189321, vr: 'SQ', value: [deep] }];
    const bytes = encodePart10([element('SOPClassUID', '1.2.840.10008.5.1.4.1.1.2'), ...deep], {
      transferSyntaxUid: TS.ExplicitVRLittleEndian,
    });
    expect(codeOf(() => d.deidentify(bytes, 'deep.dcm'))).to.equal('BERTH_E_DICOM_PARSE');
  });

  it('refuses a fixed date shift that is not a whole number of days with BERTH_E_USAGE', () => {
    expect(codeOf(() => new Deidentifier({ secret: SECRET, dateShiftDays: 1.5 }))).to.equal('BERTH_E_USAGE');
    expect(codeOf(() => new Deidentifier({ secret: SECRET, dateShiftDays: 10 ** 6 }))).to.equal(
      'BERTH_E_USAGE',
    );
    expect(codeOf(() => new Deidentifier({ secret: SECRET, dateShiftDays: -30 }))).to.equal(undefined);
  });
});
