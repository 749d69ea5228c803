import { expect } from 'chai';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Status } from '../../src/sdk/status.js';
import { removeDir, tempDir } from '../support/temp.js';
import { codeOfAsync } from '../support/codes.js';

describe('sdk/status', () => {
  let dir: string;
  let status: Status;

  beforeEach(async () => {
    dir = await tempDir('status');
    status = new Status(path.join(dir, 'status'));
  });
  afterEach(() => removeDir(dir));

  const read = (name: string) => readFile(path.join(dir, 'status', name), 'utf8');

  it('creates nothing until something is reported', async () => {
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('appends N% lines to progress, clamped to 0–100 with at most one decimal, repeats skipped', async () => {
    for (const p of [1, 50, 50, 99.94, 12.25, 150, -5, 0]) await status.progress(p);
    expect(await read('progress')).to.equal('1%\n50%\n99.9%\n12.3%\n100%\n0%\n');
  });

  it('refuses a progress that is not a finite number', async () => {
    for (const bad of [NaN, Infinity, '50' as unknown as number]) {
      expect(await codeOfAsync(status.progress(bad))).to.equal('BERTH_E_VALUE_TYPE');
    }
  });

  it('appends warnings one per line (newlines inside a warning become spaces)', async () => {
    await status.warn('low contrast');
    await status.warn('two\nlines\r\nhere');
    expect(await read('warn')).to.equal('low contrast\ntwo lines here\n');
  });

  it('writes the error reason, replacing an earlier one; errorSync appends when asked', async () => {
    await status.error('first');
    await status.error('second\n');
    expect(await read('error')).to.equal('second\n');
    status.errorSync('third');
    expect(await read('error')).to.equal('third\n');
    status.errorSync('fourth', true);
    expect(await read('error')).to.equal('third\nfourth\n');
  });

  it('keeps every line of many concurrent progress reports', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => status.progress(i + 1)));
    const lines = (await read('progress')).trim().split('\n');
    expect(lines).to.have.length(100);
    expect(new Set(lines).size).to.equal(100);
  });
});
