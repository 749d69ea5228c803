import { expect } from 'chai';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openMachine } from '../../src/sdk/machine.js';
import { writeManifest } from '../support/sdk-tree.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('sdk: a file output copied from a path the machine names', () => {
  let dir: string;
  afterEach(() => removeDir(dir));

  it('follows a symlink the machine itself names (its own file), copying the target', async () => {
    dir = await tempDir('file-source');
    await mkdir(path.join(dir, 'input'));
    await writeFile(path.join(dir, 'blob.bin'), 'bytes');
    await symlink(path.join(dir, 'blob.bin'), path.join(dir, 'link.bin'));
    const manifest = await writeManifest(dir, { blob: { 'mime-type': 'application/octet-stream' } });
    const output = path.join(dir, 'output');
    const m = await openMachine({
      manifest,
      input: path.join(dir, 'input'),
      output,
      status: path.join(dir, 'status'),
      captureErrors: false,
    });
    await m.outputs.set('blob', { path: path.join(dir, 'link.bin') });
    expect(await readFile(path.join(output, 'blob'), 'utf8')).to.equal('bytes');
  });
});
