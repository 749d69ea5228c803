import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { isBerthError } from '../../src/errors.js';
import { bytesOf, pipeFiles, type PipedFile } from '../../src/tree/file-pipeline.js';

describe('tree/file-pipeline', () => {
  let dir: string;
  let files: string[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-pipeline-'));
    files = [];
    for (let i = 0; i < 20; i++) {
      const f = join(dir, `f${String(i).padStart(2, '0')}`);
      await writeFile(f, Buffer.alloc(100 + i, i));
      files.push(f);
    }
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hands every file to the step in input order, whole, while writes run behind', async () => {
    const seen: number[] = [];
    const written: number[] = [];
    await pipeFiles(files, { files: 4 }, async (p) => {
      const b = bytesOf(p);
      expect(b.length).to.equal(100 + p.index);
      expect(b.every((x) => x === p.index)).to.equal(true);
      seen.push(p.index);
      for (let k = 0; k < 20 - p.index; k++) await tick();
      written.push(p.index);
    });
    expect(seen).to.deep.equal([...Array(20).keys()]);
    expect(written).to.have.length(20);
  });

  it('never holds more files than its bound (read, converted or being written)', async () => {
    let live = 0;
    let most = 0;
    await pipeFiles(files, { files: 3 }, async () => {
      most = Math.max(most, ++live);
      for (let k = 0; k < 5; k++) await tick();
      live--;
    });
    expect(most).to.be.at.most(3);
  });

  it('starts no further read once the bytes held reach the byte bound', async () => {
    let live = 0;
    let most = 0;
    await pipeFiles(files, { files: 16, bytes: 150 }, async () => {
      most = Math.max(most, ++live);
      for (let k = 0; k < 5; k++) await tick();
      live--;
    });
    // 150 bytes hold one file of 100+ bytes, and the one started before its size was over: two.
    expect(most).to.be.at.most(2);
  });

  it('reads into buffers used again when asked, each file whole and intact', async () => {
    // Over 4 KiB, so that fresh buffers would not come from Node's shared small-buffer slab.
    const big: string[] = [];
    for (let i = 0; i < 12; i++) {
      big.push(join(dir, `big${i}`));
      await writeFile(big[i]!, Buffer.alloc(5000 + i, i));
    }
    const arrays = new Set<ArrayBufferLike>();
    const check = async (reuseBuffers: boolean): Promise<number> => {
      arrays.clear();
      await pipeFiles(big, { files: 2, reuseBuffers }, async (p) => {
        const b = bytesOf(p);
        arrays.add(b.buffer);
        expect(b.length).to.equal(5000 + p.index);
        await tick();
        expect(b.every((x) => x === p.index)).to.equal(true);
      });
      return arrays.size;
    };
    expect(await check(false)).to.equal(12);
    expect(await check(true)).to.be.at.most(3);
  });

  it('hands a symlink, a FIFO, a missing file and a file over the size bound to the step as BerthErrors, never blocking', async () => {
    await symlink(files[0]!, join(dir, 'link'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const list = [join(dir, 'link'), join(dir, 'fifo'), join(dir, 'missing'), files[19]!, files[0]!];
    const got: PipedFile[] = [];
    await pipeFiles(list, { maxFileBytes: 110 }, (p) => void got.push(p));
    const codes = got.map((p) => (p.error ? p.error.code : 'ok'));
    expect(codes).to.deep.equal([
      'BERTH_E_TREE_SYMLINK',
      'BERTH_E_TREE_SPECIAL',
      'BERTH_E_NOT_FOUND',
      'BERTH_E_TOO_LARGE',
      'ok',
    ]);
    expect(() => bytesOf(got[0]!))
      .to.throw()
      .that.satisfies(isBerthError);
  });

  it('stops at the first error of a step or a write, lets the writes in flight settle, and throws it', async () => {
    let steps = 0;
    let settledWrites = 0;
    const run = pipeFiles(files, { files: 4 }, async (p) => {
      steps++;
      await tick();
      settledWrites++;
      if (p.index === 5) throw new Error('disk full');
    });
    let error: unknown;
    await run.catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('disk full');
    expect(steps).to.be.below(20);
    expect(settledWrites).to.equal(steps);
  });
});
