/**
 * Sorting loose DICOM files into the reference layout: a shuffled, nested folder with junk,
 * broken files, duplicates, several studies and a hostile UID.
 */
import { expect } from 'chai';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isBerthError } from '../../src/errors.js';
import { planSort, sameBytes, sortDicom, type SortReport } from '../../src/dicom/sort.js';
import { synthSeries } from '../../src/dicom/synth.js';
import { writeBrokenCorpus } from '../support/broken-corpus.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { encodePart10 } from '../../src/dicom/write.js';
import { removeDir, tempDir } from '../support/temp.js';
import { listTree, writeMessyFolder } from '../support/sort-fixtures.js';

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'no error',
    (e: unknown) => (isBerthError(e) ? e.code : String(e)),
  );
}

describe('dicom/sort: loose files into the reference layout', () => {
  let dir: string;
  let src: string;
  let messy: Awaited<ReturnType<typeof writeMessyFolder>>;

  before(async () => {
    dir = await tempDir('sort');
    src = join(dir, 'loose');
    messy = await writeMessyFolder(src);
  });
  after(() => removeDir(dir));

  it('as a study: several studies get one folder each, every instance at <Study>/<Series>/<SOP>.dcm', async () => {
    const before = await listTree(src);
    const out = join(dir, 'by-study');
    const report = await sortDicom(src, out, { as: 'study' });
    expect(report.layout).to.equal('studies');
    expect(report.studies).to.equal(2);
    expect(report.series).to.equal(4);
    const expected = messy.studies
      .flatMap((st) =>
        st.series.flatMap((s) =>
          s.files.map((f) => `${st.studyInstanceUid}/${s.seriesInstanceUid}/${f.sopInstanceUid}.dcm`),
        ),
      )
      .sort();
    expect(await listTree(out)).to.deep.equal(expected);
    // Copies, byte for byte; the source untouched.
    for (const c of report.copied)
      expect((await readFile(c.to)).equals(await readFile(c.from))).to.equal(true);
    expect(await listTree(src)).to.deep.equal(before);
    const reasons = (r: SortReport, reason: string) => r.skipped.filter((s) => s.reason === reason);
    expect(reasons(report, 'duplicate')).to.have.length(1);
    expect(reasons(report, 'duplicate')[0]!.code).to.equal('BERTH_E_DUPLICATE_INSTANCE');
    expect(reasons(report, 'broken')).to.have.length(messy.broken);
    expect(
      reasons(report, 'broken').every((s) => s.code && s.code !== 'BERTH_E_DUPLICATE_INSTANCE'),
    ).to.equal(true);
    expect(reasons(report, 'not-dicom')).to.have.length(messy.strays);
    expect(report.skipped.map((s) => s.path)).to.include(join(src, 'notes.txt'));
  });

  it('as a study: one study goes straight to <Series>/<SOP>.dcm', async () => {
    const one = join(dir, 'one-study');
    for (const s of messy.studies[0]!.series) {
      for (const f of s.files) {
        await mkdir(join(one, 'deep', 'er'), { recursive: true });
        await copyFile(
          f.path,
          join(one, 'deep', 'er', `${f.instanceNumber}-${s.seriesInstanceUid.slice(-4)}`),
        );
      }
    }
    const report = await sortDicom(one, join(dir, 'one-out'));
    expect(report.as).to.equal('study');
    expect(report.layout).to.equal('study');
    expect(report.skipped).to.deep.equal([]);
    const expected = messy.studies[0]!.series.flatMap((s) =>
      s.files.map((f) => `${s.seriesInstanceUid}/${f.sopInstanceUid}.dcm`),
    );
    expect(await listTree(join(dir, 'one-out'))).to.deep.equal(expected.sort());
  });

  it('plans exactly what sortDicom then does (places, skips, layout), writing nothing, with the headers it read', async () => {
    const out = join(dir, 'planned');
    const before = await listTree(src);
    const plan = await planSort(src, out, { as: 'study' });
    expect(
      await stat(out).then(
        () => 'exists',
        () => 'absent',
      ),
    ).to.equal('absent');
    expect(await listTree(src)).to.deep.equal(before);
    const { headers, ...report } = plan;
    expect(await sortDicom(src, out, { as: 'study' })).to.deep.equal(report);
    // The header read of each instance kept, for the caller that lays them out.
    expect(plan.copied.map((c) => headers.get(c.from)?.SOPInstanceUID)).to.deep.equal(
      plan.copied.map((c) => c.sopInstanceUid),
    );
    expect(await code(planSort(join(dir, 'nope'), join(dir, 'o3')))).to.equal('BERTH_E_NOT_FOUND');
  });

  it('as a series: keeps the largest series and reports the others', async () => {
    const out = join(dir, 'as-series');
    const report = await sortDicom(src, out, { as: 'series' });
    expect(report.layout).to.equal('series');
    expect(report.series).to.equal(1);
    expect(report.copied).to.have.length(3);
    const kept = report.copied[0]!.seriesInstanceUid;
    const series = messy.studies.flatMap((s) => s.series).find((s) => s.seriesInstanceUid === kept)!;
    expect(await listTree(out)).to.deep.equal(series.files.map((f) => `${f.sopInstanceUid}.dcm`).sort());
    expect(report.skipped.filter((s) => s.reason === 'other-series')).to.have.length(3 + 3 + 2);
  });

  it('never lets a hostile UID escape the output', async () => {
    const hostile = join(dir, 'hostile');
    await mkdir(hostile, { recursive: true });
    const [good, bad, bad2] = synthSeries({ seed: 'hostile', instances: 3, rows: 8, columns: 8 });
    await writeFile(
      join(hostile, 'good'),
      encodePart10(good!.elements, { transferSyntaxUid: TS.ExplicitVRLittleEndian }),
    );
    const evil = (uid: string, tag: number) =>
      bad!.elements.map((e) => (e.tag === tag ? { ...e, value: uid } : e));
    await writeFile(
      join(hostile, 'evil-sop'),
      encodePart10(evil('../../../escaped', 0x00080018), { transferSyntaxUid: TS.ExplicitVRLittleEndian }),
    );
    await writeFile(
      join(hostile, 'evil-series'),
      encodePart10(
        bad2!.elements.map((e) => (e.tag === 0x0020000e ? { ...e, value: '..' } : e)),
        { transferSyntaxUid: TS.ExplicitVRLittleEndian },
      ),
    );
    const out = join(dir, 'hostile-out');
    const report = await sortDicom(hostile, out);
    expect(report.copied).to.have.length(1);
    const invalid = report.skipped.filter((s) => s.reason === 'invalid-uid');
    expect(invalid.map((s) => s.path).sort()).to.deep.equal([
      join(hostile, 'evil-series'),
      join(hostile, 'evil-sop'),
    ]);
    expect(invalid.every((s) => s.code === 'BERTH_E_UID_FORMAT')).to.equal(true);
    expect(await listTree(dir).then((all) => all.filter((p) => p.includes('escaped')))).to.deep.equal([]);
  });

  it('refuses a non-empty output, an output inside the source, a missing source and a folder without DICOM', async () => {
    const full = join(dir, 'full');
    await mkdir(full, { recursive: true });
    await writeFile(join(full, 'x'), 'x');
    expect(await code(sortDicom(src, full))).to.equal('BERTH_E_OUT_NOT_EMPTY');
    expect(await code(sortDicom(src, join(src, 'sorted')))).to.equal('BERTH_E_USAGE');
    expect(await code(sortDicom(join(dir, 'nope'), join(dir, 'o1')))).to.equal('BERTH_E_NOT_FOUND');
    const junk = join(dir, 'only-junk');
    await writeBrokenCorpus(junk, 'j');
    expect(await code(sortDicom(junk, join(dir, 'o2')))).to.equal('BERTH_E_SORT_NOTHING');
  });

  it('says whether a duplicate is byte for byte the file kept (sameBytes), for callers that skip only those', async () => {
    const folder = join(dir, 'dups');
    await mkdir(folder, { recursive: true });
    const [a, b] = synthSeries({ seed: 'dups', instances: 2, rows: 8, columns: 8 });
    const bytes = (i: typeof a) =>
      encodePart10(i!.elements, { transferSyntaxUid: TS.ExplicitVRLittleEndian });
    await writeFile(join(folder, 'a.dcm'), bytes(a));
    await writeFile(join(folder, 'a-copy.dcm'), bytes(a));
    await writeFile(join(folder, 'b.dcm'), bytes(b));
    await writeFile(
      join(folder, 'b-other.dcm'),
      encodePart10(b!.elements, { transferSyntaxUid: TS.ImplicitVRLittleEndian }),
    );
    const report = await sortDicom(folder, join(dir, 'dups-out'), { as: 'series' });
    const dups = report.skipped
      .filter((s) => s.reason === 'duplicate')
      .map((s) => [s.path.slice(folder.length + 1), s.duplicateOf?.slice(folder.length + 1), s.identical]);
    expect(dups.sort()).to.deep.equal([
      ['a.dcm', 'a-copy.dcm', true],
      ['b.dcm', 'b-other.dcm', false],
    ]);
    expect(await sameBytes(join(folder, 'a.dcm'), join(folder, 'a-copy.dcm'))).to.equal(true);
    expect(await sameBytes(join(folder, 'a.dcm'), join(folder, 'missing.dcm'))).to.equal(false);
  });
});
