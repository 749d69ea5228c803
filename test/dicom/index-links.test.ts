import { expect } from 'chai';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { indexFolder } from '../../src/dicom/index.js';
import { readPixels } from '../../src/dicom/pixels.js';
import { writeSeries } from '../../src/dicom/synth.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('dicom/index: symlinks inside the folder, with the no-follow opener', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('dicom');
  });
  after(() => removeDir(dir));

  for (const io of ['async', 'sync'] as const) {
    it(`indexes a file linked inside the folder at its real path, and reads its pixels (${io})`, async () => {
      const root = join(dir, `links-${io}`);
      const w = await writeSeries(join(root, 'store'), { instances: 2 });
      await symlink(join('store', `${w.files[1]!.sopInstanceUid}.dcm`), join(root, 'linked.dcm'));
      await symlink(w.files[0]!.path, join(root, 'absolute.dcm'));
      const index = await indexFolder(root, { io });
      expect(index.skipped).to.deep.equal([]);
      // The links name instances already in store/: duplicates, not unreadable symlinks.
      expect(index.errors.map((e) => e.error.code)).to.deep.equal([
        'BERTH_E_DUPLICATE_INSTANCE',
        'BERTH_E_DUPLICATE_INSTANCE',
      ]);
      expect(index.instances.size).to.equal(2);
      for (const h of index.instances.values())
        expect((await readPixels(h.path, h)).frames).to.be.greaterThan(0);
    });
  }
});
