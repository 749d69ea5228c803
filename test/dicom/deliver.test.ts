/**
 * Delivering one instance the way the platform does: as it is when its syntax is accepted, copied
 * from the file opened without following a link, into a place that does not exist yet.
 */
import { expect } from 'chai';
import { readdir, readFile, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { deliverInSyntax } from '../../src/dicom/deliver.js';
import { scanHeader } from '../../src/dicom/scan.js';
import { writeSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { isBerthError } from '../../src/errors.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('dicom/deliver: one instance into place', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await tempDir('deliver');
    const written = await writeSeries(join(dir, 'src'), { seed: 5, instances: 1, rows: 8, columns: 8 });
    file = written.files[0]!.path;
  });
  after(() => removeDir(dir));

  it('copies an instance in an accepted syntax byte for byte', async () => {
    const to = join(dir, 'as-is.dcm');
    await deliverInSyntax(file, to, [TS.ExplicitVRLittleEndian]);
    expect((await readFile(to)).equals(await readFile(file))).to.equal(true);
  });

  it('takes the header the caller read (a folder index) for the syntax and the meta: an instance in an accepted syntax is copied as it is', async () => {
    const to = join(dir, 'known.dcm');
    await deliverInSyntax(file, to, [TS.ExplicitVRLittleEndian], { known: await scanHeader(file) });
    expect((await readFile(to)).equals(await readFile(file))).to.equal(true);
  });

  it('with link, places an instance it need not convert as a hard link to it, never a symlink given for it', async () => {
    const to = join(dir, 'linked.dcm');
    await deliverInSyntax(file, to, [TS.ExplicitVRLittleEndian], { link: true });
    expect((await stat(to)).ino).to.equal((await stat(file)).ino);
    const link = join(dir, 'link-for-link.dcm');
    await symlink(file, link);
    const err = await deliverInSyntax(link, join(dir, 'linked-symlink.dcm'), undefined, { link: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBerthError(err) && err.code).to.equal('BERTH_E_TREE_SYMLINK');
    expect(await readdir(dir)).not.to.include('linked-symlink.dcm');
  });

  it('never follows a symlink given as the instance, nor writes over a file already there', async () => {
    const link = join(dir, 'link.dcm');
    await symlink(file, link);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'no error',
        (e: unknown) => (isBerthError(e) ? e.code : String(e)),
      );
    expect(await code(deliverInSyntax(link, join(dir, 'via-link.dcm'), undefined))).to.equal(
      'BERTH_E_TREE_SYMLINK',
    );
    expect(await code(deliverInSyntax(file, join(dir, 'as-is.dcm'), undefined))).to.equal('BERTH_E_IO');
  });
});
