import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BerthError, isBerthError } from '../../src/errors.js';
import {
  ATOMIC_TEMP_PREFIX,
  copyFileAtomic,
  isAtomicTempName,
  writeFileAtomic,
} from '../../src/tree/atomic.js';
import { codeOfAsync } from '../support/codes.js';

async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter(isAtomicTempName);
}

describe('tree/atomic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes bytes, text, chunk lists, async iterables and streams, creating parent directories', async () => {
    const p = join(dir, 'a', 'b', 'c.bin');
    await writeFileAtomic(p, Uint8Array.of(1, 2, 3));
    expect([...(await readFile(p))]).to.deep.equal([1, 2, 3]);
    await writeFileAtomic(p, 'héllo');
    expect(await readFile(p, 'utf8')).to.equal('héllo');
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('ab');
      yield Buffer.from('cd');
    }
    await writeFileAtomic(p, chunks());
    expect(await readFile(p, 'utf8')).to.equal('abcd');
    await writeFileAtomic(p, [Buffer.from('ef'), Uint8Array.of(0x67), Buffer.alloc(0)]);
    expect(await readFile(p, 'utf8')).to.equal('efg');
    await writeFileAtomic(p, Readable.from([Buffer.from('x'), 'y', Buffer.from('z')]));
    expect(await readFile(p, 'utf8')).to.equal('xyz');
    await writeFileAtomic(p, new Uint8Array(0));
    expect((await stat(p)).size).to.equal(0);
    await writeFileAtomic(p, 'scratch', { durable: false, mode: 0o600 });
    expect(await readFile(p, 'utf8')).to.equal('scratch');
    expect((await stat(p)).mode & 0o777).to.equal(0o600);
    expect(await leftovers(join(dir, 'a', 'b'))).to.deep.equal([]);
  });

  it('leaves the old file intact and no temp file when the data fails midway', async () => {
    const p = join(dir, 'keep.txt');
    await writeFile(p, 'old contents');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(1 << 20, 0x61);
      throw new BerthError('BERTH_E_WIRE_FORMAT', 'source broke');
    }
    expect(await codeOfAsync(writeFileAtomic(p, failing()))).to.equal('BERTH_E_WIRE_FORMAT');
    expect(await readFile(p, 'utf8')).to.equal('old contents');
    expect(await leftovers(dir)).to.deep.equal([]);

    const stream = new Readable({ read() {} });
    stream.push('partial');
    setTimeout(() => stream.destroy(new Error('network gone')), 10);
    const e = await writeFileAtomic(p, stream).catch((x: unknown) => x);
    expect(isBerthError(e) && e.code).to.equal('BERTH_E_IO');
    expect((e as Error).message).to.match(/network gone/);
    expect(await readFile(p, 'utf8')).to.equal('old contents');
    expect(await leftovers(dir)).to.deep.equal([]);
  });

  it('cleans up when the final rename fails', async () => {
    const p = join(dir, 'is-a-dir');
    await mkdir(join(p, 'child'), { recursive: true });
    const e = await writeFileAtomic(p, 'x').catch((x: unknown) => x);
    expect(isBerthError(e) && e.code).to.equal('BERTH_E_IO');
    expect(isBerthError(e) && e.path).to.equal(p);
    expect(await leftovers(dir)).to.deep.equal([]);
  });

  it('fails with BERTH_E_IO when the parent cannot be created', async () => {
    await writeFile(join(dir, 'file'), 'x');
    expect(await codeOfAsync(writeFileAtomic(join(dir, 'file', 'sub', 'x'), 'y'))).to.equal('BERTH_E_IO');
  });

  it('uses temp names with the exported prefix, even for long names', async () => {
    expect(ATOMIC_TEMP_PREFIX).to.equal('.berth-tmp-');
    const long = 'n'.repeat(240);
    let seen: string[] = [];
    async function* spy(): AsyncGenerator<Uint8Array> {
      seen = await leftovers(dir);
      yield Buffer.from('ok');
    }
    await writeFileAtomic(join(dir, long), spy());
    expect(seen).to.have.length(1);
    expect(seen[0]?.startsWith(ATOMIC_TEMP_PREFIX)).to.equal(true);
    expect(await readFile(join(dir, long), 'utf8')).to.equal('ok');
  });

  it('copies files atomically and reports a missing source', async () => {
    const src = join(dir, 'src.bin');
    await writeFile(src, Buffer.alloc(100_000, 7));
    const dest = join(dir, 'out', 'dest.bin');
    await copyFileAtomic(src, dest);
    expect((await readFile(dest)).equals(Buffer.alloc(100_000, 7))).to.equal(true);
    await writeFile(src, 'v2');
    await copyFileAtomic(src, dest);
    expect(await readFile(dest, 'utf8')).to.equal('v2');
    const e = await copyFileAtomic(join(dir, 'nope'), dest).catch((x: unknown) => x);
    expect(isBerthError(e) && e.code).to.equal('BERTH_E_NOT_FOUND');
    expect(isBerthError(e) && e.path).to.equal(join(dir, 'nope'));
    expect(await readFile(dest, 'utf8')).to.equal('v2');
    expect(await leftovers(join(dir, 'out'))).to.deep.equal([]);
  });

  it('writes files whose names are 75 to 85 three-byte characters (up to the 255-byte limit)', async () => {
    for (const n of [75, 80, 85]) {
      const name = 'あ'.repeat(n);
      await writeFileAtomic(join(dir, name), 'x');
      expect(await readFile(join(dir, name), 'utf8')).to.equal('x');
      await copyFileAtomic(join(dir, name), join(dir, 'c', name));
    }
    expect(await leftovers(dir)).to.deep.equal([]);
  });
});
