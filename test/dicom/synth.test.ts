import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scanHeaderSync } from '../../src/dicom/scan.js';
import { synthSeries, writeSeries, writeStudy } from '../../src/dicom/synth.js';
import { isValidUid, seededUid, uidFromUuid, UidMaker } from '../../src/dicom/uid.js';
import { encodePart10, formatDS } from '../../src/dicom/write.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('dicom/synth: synthetic data and UIDs', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('dicom');
  });
  after(() => removeDir(dir));

  it('makes valid UIDs: 2.25 from UUIDs, seeded, and under a root', () => {
    expect(uidFromUuid('00000000-0000-0000-0000-000000000000')).to.equal('2.25.0');
    expect(uidFromUuid('f81d4fae-7dec-11d0-a765-00a0c91e6bf6')).to.equal(
      '2.25.329800735698586629295641978511506172918',
    );
    expect(seededUid(1, 'a')).to.equal(seededUid(1, 'a'));
    expect(seededUid(1, 'a')).to.not.equal(seededUid(2, 'a'));
    for (let i = 0; i < 500; i++) {
      expect(isValidUid(seededUid('s', i)), seededUid('s', i)).to.equal(true);
      const rooted = new UidMaker(i, '1.2.826.0.1.3680043.9.9999').uid('x', i);
      expect(isValidUid(rooted), rooted).to.equal(true);
    }
    expect(isValidUid('1.2.03')).to.equal(false);
    expect(isValidUid('1.2.')).to.equal(false);
    expect(isValidUid(`1.${'2'.repeat(63)}`)).to.equal(false);
    expect(() => new UidMaker(1, '1.02'))
      .to.throw()
      .with.property('code', 'BERTH_E_UID_FORMAT');
  });

  it('formats DS values within 16 characters', () => {
    for (const x of [0, -1024, 0.8, 1 / 3, -123456.789012345, 1e-20, 1.2345678901234e17]) {
      const s = formatDS(x);
      expect(s.length, s).to.be.at.most(16);
      expect(Math.abs(Number(s) - x)).to.be.at.most(Math.abs(x) * 1e-9 + 1e-15);
    }
  });

  it('is deterministic: the same seed gives the same bytes, another seed other UIDs and pixels', () => {
    const a = synthSeries({ seed: 5, instances: 2 });
    const b = synthSeries({ seed: 5, instances: 2 });
    const c = synthSeries({ seed: 6, instances: 2 });
    const enc = (i: (typeof a)[number]) =>
      encodePart10(i.elements, { transferSyntaxUid: TS.ExplicitVRLittleEndian });
    expect(enc(a[1]!).equals(enc(b[1]!))).to.equal(true);
    expect(a[0]!.sopInstanceUid).to.not.equal(c[0]!.sopInstanceUid);
    expect(Buffer.from(a[0]!.pixels.buffer).equals(Buffer.from(c[0]!.pixels.buffer))).to.equal(false);
  });

  it('draws a CT body: air, fat, soft tissue, lung and bone values in HU + 1024, padding outside the FOV', () => {
    const [slice] = synthSeries({ instances: 1, rows: 128, columns: 128 });
    const hu = Array.from(slice!.pixels as Int16Array, (v) => (v === -2000 ? NaN : v - 1024));
    const near = (target: number) => hu.filter((v) => Math.abs(v - target) < 60).length;
    expect(near(-1000)).to.be.greaterThan(500);
    expect(near(40)).to.be.greaterThan(2000);
    expect(near(-800)).to.be.greaterThan(100);
    expect(near(-100)).to.be.greaterThan(100);
    expect(hu.filter((v) => v > 900).length).to.be.greaterThan(10);
    expect(hu.filter((v) => Number.isNaN(v)).length).to.be.greaterThan(100);
  });

  it('writes consistent geometry: positions along the normal, SliceLocation, InstanceNumber', async () => {
    const iop: [number, number, number, number, number, number] = [0, 1, 0, 0, 0, -1]; // sagittal
    const w = await writeSeries(join(dir, 'geo'), { instances: 5, orientation: iop, sliceSpacing: 3 });
    const headers = w.files.map((f) => scanHeaderSync(f.path));
    const normal = [-1, 0, 0]; // row (0,1,0) × column (0,0,-1)
    const d = headers.map((h) => h.ImagePositionPatient!.reduce((s, p, k) => s + p * normal[k]!, 0));
    for (let i = 1; i < d.length; i++) expect(d[i]! - d[i - 1]!).to.be.closeTo(3, 1e-6);
    headers.forEach((h, i) => {
      expect(h.InstanceNumber).to.equal(i + 1);
      expect(h.get('SliceLocation')).to.be.closeTo(d[i]!, 1e-4);
      expect(h.FrameOfReferenceUID).to.equal(w.frameOfReferenceUid);
    });
  });

  it('writes a study: series folders named by SeriesInstanceUID, files by SOPInstanceUID, one study UID', async () => {
    const s = await writeStudy(join(dir, 'study'), { series: ['CT', 'MR', 'CR'], instances: 2, seed: 'st' });
    const folders = (await readdir(join(dir, 'study'))).sort();
    expect(folders).to.deep.equal(s.series.map((x) => x.seriesInstanceUid).sort());
    for (const series of s.series) {
      for (const f of series.files) {
        const h = scanHeaderSync(f.path);
        expect(f.path).to.equal(join(dir, 'study', h.SeriesInstanceUID, `${h.SOPInstanceUID}.dcm`));
        expect(h.StudyInstanceUID).to.equal(s.studyInstanceUid);
        expect(h.get('PatientID')).to.equal('BERTH-st-1');
      }
    }
    expect(new Set(s.series.map((x) => x.modality))).to.deep.equal(new Set(['CT', 'MR', 'CR']));
  });

  it('writes files atomically (no temporary files left behind)', async () => {
    await writeSeries(join(dir, 'atomic'), { instances: 3 });
    const names = await readdir(join(dir, 'atomic'));
    expect(names.every((n) => /^2\.25\.\d+\.dcm$/.test(n))).to.equal(true);
    expect((await readFile(join(dir, 'atomic', names[0]!))).subarray(128, 132).toString()).to.equal('DICM');
  });
});
