import { expect } from 'chai';
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { indexFolder, sortSeries } from '../../src/dicom/index.js';
import { scanHeaderSync } from '../../src/dicom/scan.js';
import { writeSeries, writeStudy } from '../../src/dicom/synth.js';
import { writeBrokenCorpus } from '../support/broken-corpus.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('dicom/index: folder index', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('dicom');
  });
  after(() => removeDir(dir));

  it('indexes a study, groups by study and series, and sorts each series geometrically', async () => {
    const root = join(dir, 'study');
    const s = await writeStudy(root, { series: 3, instances: 6, instanceNumberOrder: 'descending' });
    const index = await indexFolder(root);
    expect(index.errors).to.deep.equal([]);
    expect(index.strays).to.deep.equal([]);
    expect(index.instances.size).to.equal(18);
    expect([...index.studies.keys()]).to.deep.equal([s.studyInstanceUid]);
    expect(index.studies.get(s.studyInstanceUid)!.series).to.have.length(3);
    for (const written of s.series) {
      const series = index.series.get(written.seriesInstanceUid)!;
      expect(series.studyInstanceUid).to.equal(s.studyInstanceUid);
      // Sorted by position along the normal (ascending z), whatever the InstanceNumbers say.
      expect(series.instances.map((h) => h.SOPInstanceUID)).to.deep.equal(
        written.files.map((f) => f.sopInstanceUid),
      );
      expect(series.instances.map((h) => h.InstanceNumber)).to.deep.equal([6, 5, 4, 3, 2, 1]);
    }
  });

  it('keeps indexing past broken files: each reported with its code, strays apart', async () => {
    const root = join(dir, 'mixed');
    const good = await writeSeries(join(root, 'good'), { instances: 4 });
    const broken = await writeBrokenCorpus(join(root, 'broken'));
    const index = await indexFolder(root);
    expect(index.instances.size).to.equal(4);
    expect(index.series.get(good.seriesInstanceUid)!.instances).to.have.length(4);
    const reported = new Map([...index.errors, ...index.strays].map((i) => [i.path, i.error.code]));
    for (const f of broken) expect(reported.get(f.path), f.name).to.equal(f.expected);
    expect(index.strays.map((i) => i.path).sort()).to.deep.equal(
      broken
        .filter((f) => f.stray)
        .map((f) => f.path)
        .sort(),
    );
    expect(index.errors.map((i) => i.path)).to.include(join(root, 'broken', 'no-preamble.dcm'));
  });

  it('reports duplicates, does not follow symlinks out of the folder, survives symlink loops', async () => {
    const root = join(dir, 'links');
    const outside = join(dir, 'outside');
    const w = await writeSeries(join(root, 'a'), { instances: 2 });
    await writeSeries(outside, { instances: 2, seed: 'other' });
    await cp(w.files[0]!.path, join(root, 'copy.dcm'));
    await symlink(outside, join(root, 'out'));
    await symlink(join(outside, 'nothing'), join(root, 'dangling'));
    await symlink(root, join(root, 'a', 'loop'));
    const index = await indexFolder(root);
    expect(index.instances.size).to.equal(2);
    expect(index.errors.map((e) => e.error.code)).to.deep.equal(['BERTH_E_DUPLICATE_INSTANCE']);
    expect(index.skipped.map((s) => s.path).sort()).to.deep.equal([
      join(root, 'dangling'),
      join(root, 'out'),
    ]);
  });

  it('stops at maxFiles and maxDepth, and reports a missing folder instead of throwing', async () => {
    const root = join(dir, 'limits');
    await writeSeries(root, { instances: 5 });
    let deep = root;
    for (let i = 0; i < 5; i++) deep = join(deep, `d${i}`);
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'README'), 'hello');
    const index = await indexFolder(root, { maxFiles: 3, maxDepth: 2 });
    expect(index.instances.size).to.equal(3);
    expect(index.errors.map((e) => e.error.code)).to.deep.equal(['BERTH_E_TOO_LARGE']);
    const missing = await indexFolder(join(dir, 'no-such-folder'));
    expect(missing.errors.map((e) => e.error.code)).to.deep.equal(['BERTH_E_NOT_FOUND']);
  });

  it('sorts by InstanceNumber then SOPInstanceUID when there is no geometry', async () => {
    const w = await writeSeries(join(dir, 'cr'), {
      modality: 'CR',
      instances: 4,
      instanceNumberOrder: 'descending',
    });
    const headers = w.files.map((f) => scanHeaderSync(f.path));
    expect(sortSeries(headers).map((h) => h.InstanceNumber)).to.deep.equal([1, 2, 3, 4]);
  });
});
