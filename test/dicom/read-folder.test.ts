import { expect } from 'chai';
import { mkdir, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readImageHeader, readSeriesFolder, readStudyFolder } from '../../src/dicom/read-folder.js';
import { writeSeries, writeStudy } from '../../src/dicom/synth.js';
import { BerthError } from '../../src/errors.js';
import { removeDir, tempDir } from '../support/temp.js';

async function refusal(p: Promise<unknown>): Promise<BerthError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).to.be.instanceOf(BerthError);
  return e as BerthError;
}

describe('dicom/read-folder: DICOM inputs read strictly, headers only', () => {
  let tmp: string;
  before(async () => {
    tmp = await realpath(await tempDir('read-folder'));
  });
  after(() => removeDir(tmp));

  it('reads a series in geometric order, leaving non-DICOM files out', async () => {
    const dir = path.join(tmp, 'series');
    const written = await writeSeries(dir, { seed: 'rf', instances: 3 });
    await writeFile(path.join(dir, 'README'), 'not DICOM');
    const s = await readSeriesFolder(dir, 'schema-in/ct');
    expect(s.dir).to.equal(dir);
    expect(s.instances.map((h) => h.SeriesInstanceUID)).to.deep.equal(
      Array(3).fill(written.seriesInstanceUid),
    );
  });

  it('refuses two series in a series folder and an empty one, naming the property', async () => {
    const dir = path.join(tmp, 'mixed');
    const first = await writeSeries(dir, { seed: 'm1', instances: 1 });
    await writeSeries(dir, { seed: 'm2', instances: 1, studyInstanceUid: first.studyInstanceUid });
    const mixed = await refusal(readSeriesFolder(dir, 'schema-in/ct'));
    expect([mixed.code, mixed.property]).to.deep.equal(['BERTH_E_DICOM_MIXED_SERIES', 'schema-in/ct']);
    await mkdir(path.join(tmp, 'empty'));
    expect((await refusal(readSeriesFolder(path.join(tmp, 'empty')))).code).to.equal('BERTH_E_DICOM_EMPTY');
  });

  it('reads a study as its series keyed by SeriesInstanceUID, in the order of their folders', async () => {
    const dir = path.join(tmp, 'study');
    const written = await writeStudy(dir, { seed: 'st', series: 2, instances: 2 });
    const study = await readStudyFolder(dir);
    expect(study.studyInstanceUid).to.equal(written.studyInstanceUid);
    const folders = [...study.series.values()].map((s) => path.basename(s.dir));
    expect(folders).to.deep.equal([...folders].sort());
    expect([...study.series.keys()].sort()).to.deep.equal(folders.slice().sort());
  });

  it('refuses a file that is not DICOM as an image', async () => {
    const file = path.join(tmp, 'not.dcm');
    await writeFile(file, 'plain text');
    expect((await refusal(readImageHeader(file))).path).to.equal(file);
  });
});
