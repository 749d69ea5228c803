/** Folders: de-identify a study laid out as the platform does, then re-identify a machine's outputs. */
import { expect } from 'chai';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Deidentifier } from '../../../src/dicom/deid/deidentify.js';
import { deidentifyFolder, reidentifyFolder } from '../../../src/dicom/deid/folder.js';
import { checkMap } from '../../../src/dicom/deid/map.js';
import { writeStudy, type WrittenStudy } from '../../../src/dicom/synth.js';
import { removeDir, tempDir } from '../../support/temp.js';
import { top } from './support.js';

describe('dicom/deid/folder', () => {
  let dir: string;
  let study: WrittenStudy;
  before(async () => {
    dir = await tempDir('deid-folder');
    study = await writeStudy(join(dir, 'in'), {
      seed: 'folder',
      series: ['CT', 'MR'],
      instances: 2,
      patientName: 'Doe^Jane',
      patientId: 'MRN-5566',
    });
    await writeFile(join(dir, 'in', 'notes.txt'), 'MRN-5566');
    await symlink('/etc/passwd', join(dir, 'in', 'link.dcm'));
  });
  after(() => removeDir(dir));

  it('renames series folders and files by their pseudonymous UIDs and skips what is not DICOM', async () => {
    const d = new Deidentifier({ secret: 'folder-test-secret-0123' });
    const r = await deidentifyFolder(join(dir, 'in'), join(dir, 'out'), d);
    expect(r.written).to.have.length(4);
    expect(r.skipped.map((s) => s.reason).sort()).to.deep.equal(['link-or-special', 'not-dicom']);
    const folders = await readdir(join(dir, 'out'));
    expect(folders.sort()).to.deep.equal(study.series.map((s) => d.pseudonymOf(s.seriesInstanceUid)!).sort());
    for (const w of r.written) {
      const sop = top(await readFile(w.output), 0x00080018);
      expect(w.output.endsWith(`${sop}.dcm`)).to.equal(true);
    }
  });

  it('re-identifies outputs back to the original names, and reports a leak in a text output', async () => {
    const d = new Deidentifier({ secret: 'folder-test-secret-0123' });
    await deidentifyFolder(join(dir, 'in'), join(dir, 'out2'), d);
    const map = checkMap(JSON.parse(JSON.stringify(d.map())), 'map.json');
    await mkdir(join(dir, 'machine'));
    await writeFile(join(dir, 'machine', 'result.txt'), 'looked at MRN-5566');
    const seriesDir = (await readdir(join(dir, 'out2')))[0]!;
    const file = (await readdir(join(dir, 'out2', seriesDir)))[0]!;
    await mkdir(join(dir, 'machine', seriesDir));
    await writeFile(
      join(dir, 'machine', seriesDir, file),
      await readFile(join(dir, 'out2', seriesDir, file)),
    );
    const r = await reidentifyFolder(join(dir, 'machine'), join(dir, 'back'), map);
    expect(r.leaks.map((f) => [f.code, f.property, f.path])).to.deep.equal([
      ['BERTH_E_PHI_LEAK', 'PatientID', join(dir, 'machine', 'result.txt')],
    ]);
    expect(r.copied).to.have.length(1);
    const original = map.uids[seriesDir]!;
    const back = await readFile(join(dir, 'back', original, `${map.uids[file.slice(0, -4)]}.dcm`));
    expect(top(back, 0x00100020)).to.equal('MRN-5566');
    expect(top(back, 0x0020000e)).to.equal(original);
  });
});
