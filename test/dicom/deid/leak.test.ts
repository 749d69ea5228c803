/** The leak check: what it finds, what it must not (short and common values), and how it reads. */
import { expect } from 'chai';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { Deidentifier } from '../../../src/dicom/deid/deidentify.js';
import { scanForLeaks } from '../../../src/dicom/deid/leak.js';
import { writeStudy } from '../../../src/dicom/synth.js';
import { needlesOf, type PhiValue } from '../../../src/dicom/deid/phi.js';
import { codeOfAsync } from '../../support/codes.js';
import { removeDir, tempDir } from '../../support/temp.js';

const v = (text: string, vr: string, attribute: string, kept = false): PhiValue => ({
  text,
  vr,
  attribute,
  source: 'in/1.dcm',
  kept,
});

const VALUES: PhiValue[] = [
  v('Doe^Jane', 'PN', 'PatientName'),
  v('MRN-0042', 'LO', 'PatientID'),
  v('M', 'CS', 'PatientSex'),
  v('045Y', 'AS', 'PatientAge'),
  v('7', 'IS', 'StudyID'),
  v('1234', 'IS', 'OtherNumber'),
  v('20240115', 'DA', 'StudyDate'),
  v('101500', 'TM', 'StudyTime'),
  v('1.2.840.10008.5.1.4.1.1.2', 'UI', 'SOPClassUID'),
  v('1.2.3.4.5.6.7', 'UI', 'SOPInstanceUID'),
  v('Kept on purpose text', 'LO', 'StudyDescription', true),
];

describe('dicom/deid/leak', () => {
  let dir: string;
  before(async () => (dir = await tempDir('leak')));
  after(() => removeDir(dir));

  async function scan(name: string, content: string | Buffer, opts = {}): Promise<string[]> {
    const path = join(dir, name);
    await writeFile(path, content);
    return (await scanForLeaks([path], VALUES, opts)).map((f) => f.property!);
  }

  it('does not search short or common values: sex, age, small numbers, times, standard UIDs', () => {
    const searched = new Set(needlesOf(VALUES).map((n) => n.value.attribute));
    for (const a of ['PatientSex', 'PatientAge', 'StudyID', 'OtherNumber', 'StudyTime', 'SOPClassUID']) {
      expect(searched.has(a), a).to.equal(false);
    }
    for (const a of ['PatientName', 'PatientID', 'StudyDate', 'SOPInstanceUID'])
      expect(searched.has(a), a).to.equal(true);
  });

  it('finds no leak in text full of short values, times and the standard UIDs', async () => {
    const text = 'M 045Y 7 1234 101500 1.2.840.10008.5.1.4.1.1.2 F 0 1 2\n';
    expect(await scan('clean.txt', text)).to.deep.equal([]);
  });

  it('finds IDs, dates and original UIDs in text and binary files, naming the attribute', async () => {
    expect(await scan('ids.txt', 'id=MRN-0042 date=20240115')).to.have.members(['PatientID', 'StudyDate']);
    const bin = Buffer.concat([Buffer.alloc(100, 0xff), Buffer.from('1.2.3.4.5.6.7'), Buffer.alloc(100)]);
    expect(await scan('uid.bin', bin)).to.deep.equal(['SOPInstanceUID']);
  });

  it('finds a name in any case and by component at word boundaries, not inside other words', async () => {
    expect(await scan('upper.txt', 'Patient: JANE DOE')).to.deep.equal(['PatientName']);
    expect(await scan('words.txt', "It doesn't matter; Janet was here")).to.deep.equal([]);
  });

  it('counts a case-insensitive name in binary data only inside a printable run', async () => {
    const noise = Buffer.concat([
      Buffer.from([0, 1, 2, 0xff]),
      Buffer.from('jane'),
      Buffer.from([0, 7, 0x90, 3]),
    ]);
    expect(await scan('noise.bin', noise)).to.deep.equal([]);
    const text = Buffer.concat([Buffer.from([0, 0]), Buffer.from(' by Jane Doe, MD '), Buffer.from([0, 0])]);
    expect(await scan('text.bin', text)).to.deep.equal(['PatientName']);
  });

  it('finds a value split across two read chunks', async () => {
    const content = `${'x'.repeat(30)}MRN-0042${'y'.repeat(30)}`;
    expect(await scan('split.txt', content, { chunkBytes: 32 })).to.deep.equal(['PatientID']);
  });

  it('does not search a date that the outputs also hold as a shifted date', async () => {
    expect(await scan('shifted.txt', 'on 20240115', { shiftedDates: new Set(['20240115']) })).to.deep.equal(
      [],
    );
  });

  it('searches values kept on purpose unless told not to', async () => {
    expect(await scan('kept.txt', 'Kept on purpose text')).to.deep.equal(['StudyDescription']);
    expect(await scan('kept2.txt', 'Kept on purpose text', { includeKept: false })).to.deep.equal([]);
  });

  it('refuses to follow a symbolic link with BERTH_E_TREE_SYMLINK', async () => {
    await writeFile(join(dir, 'target.txt'), 'MRN-0042');
    await symlink(join(dir, 'target.txt'), join(dir, 'link.txt'));
    expect(await codeOfAsync(scanForLeaks([join(dir, 'link.txt')], VALUES))).to.equal('BERTH_E_TREE_SYMLINK');
  });

  async function deidStudy(keep: number[]): Promise<[string[], Deidentifier]> {
    const study = await writeStudy(join(dir, `study-${keep.length}`), {
      seed: 'leak',
      series: ['CT', 'MR'],
      instances: 4,
      privateTags: true,
      sequences: 'defined',
      patientName: 'Smith^John',
      patientId: 'PAT-990011',
      studyDescription: 'Head CT of John Smith',
    });
    const d = new Deidentifier({ secret: 'leak-test-secret-0123456789', keep });
    const outs: string[] = [];
    for (const [i, f] of study.series.flatMap((s) => s.files).entries()) {
      const out = join(dir, `deid-${keep.length}-${i}.dcm`);
      await writeFile(out, d.deidentify(await readFile(f.path), f.path).bytes);
      outs.push(out);
    }
    return [outs, d];
  }

  it('finds nothing in the de-identified copies of a study (pixels, UIDs, shifted dates)', async () => {
    const [outs, d] = await deidStudy([]);
    expect(await scanForLeaks(outs, d.phi(), { shiftedDates: d.shiftedDates })).to.deep.equal([]);
  });

  it('finds the name inside a description kept on purpose, and the description itself', async () => {
    const [outs, d] = await deidStudy([0x00081030]);
    const all = await scanForLeaks(outs, d.phi(), { shiftedDates: d.shiftedDates });
    expect(new Set(all.map((f) => f.property))).to.deep.equal(new Set(['StudyDescription', 'PatientName']));
    const notKept = await scanForLeaks(outs, d.phi(), { shiftedDates: d.shiftedDates, includeKept: false });
    expect(new Set(notKept.map((f) => f.property))).to.deep.equal(new Set(['PatientName']));
  });

  it('finds a private value kept by option when a machine writes it into a text output', async () => {
    const study = await writeStudy(join(dir, 'private'), {
      seed: 'priv',
      series: ['CT'],
      instances: 1,
      privateTags: true,
    });
    const d = new Deidentifier({
      secret: 'leak-test-secret-0123456789',
      keepPrivateCreators: ['BERTH SYNTH'],
    });
    const f = study.series[0]!.files[0]!.path;
    await writeFile(join(dir, 'p.dcm'), d.deidentify(await readFile(f), f).bytes);
    await writeFile(join(dir, 'answer.txt'), 'the header said: private text');
    const findings = await scanForLeaks([join(dir, 'answer.txt')], d.phi(), { shiftedDates: d.shiftedDates });
    expect(findings.map((x) => [x.code, x.property])).to.deep.equal([['BERTH_E_PHI_LEAK', '(0009,1001)']]);
    expect(findings[0]!.message).to.include('let through on purpose');
    const removed = new Deidentifier({ secret: 'leak-test-secret-0123456789' });
    removed.deidentify(await readFile(f), f);
    expect(removed.phi().find((v) => v.attribute === '(0009,1001)')).to.include({ kept: false });
  });
});
