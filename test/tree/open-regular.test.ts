import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanHeader, scanHeaderSync } from '../../src/dicom/scan.js';
import { FileHandle, readPrefix } from '../../src/kinds/file-handle.js';
import { encodeNpy, readNpy, readNpyHeader } from '../../src/ndarray/npy.js';
import { copyFileAtomic } from '../../src/tree/atomic.js';
import {
  copyRegularFile,
  createRegularReadStream,
  openRegular,
  readRegularFile,
} from '../../src/tree/open-regular.js';
import { readTextFile } from '../../src/tree/read-text.js';
import { codeOf, codeOfAsync } from '../support/codes.js';

/** Drains a stream, answering the BerthError code it failed with (or 'ok'). */
async function streamCode(path: string): Promise<string> {
  try {
    for await (const chunk of createRegularReadStream(path)) void chunk;
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe('tree/open-regular', function () {
  // Every read below must end at once: a FIFO that blocked would fail the test by this bound.
  this.timeout(5000);
  let dir: string;
  let secret: string;
  let server: net.Server | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-open-regular-'));
    secret = join(dir, 'secret.txt');
    await writeFile(secret, 'CANARY-open-regular');
    await symlink(secret, join(dir, 'link'));
    await writeFile(join(dir, 'plain.txt'), '42');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    await mkdir(join(dir, 'folder'));
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('opens a regular file and gives its fstat', async () => {
    const { fd, stats } = await openRegular(join(dir, 'plain.txt'));
    expect(stats.size).to.equal(2);
    expect(fd).to.be.a('number');
    expect((await readRegularFile(join(dir, 'plain.txt'))).toString()).to.equal('42');
  });

  it('refuses a symlink (never following it), a FIFO (never waiting on it), a directory and a socket', async () => {
    server = net.createServer();
    await new Promise<void>((resolve) => server!.listen(join(dir, 'sock'), resolve));
    expect(await codeOfAsync(readRegularFile(join(dir, 'link')))).to.equal('BERTH_E_TREE_SYMLINK');
    expect(await codeOfAsync(readRegularFile(join(dir, 'fifo')))).to.equal('BERTH_E_TREE_SPECIAL');
    expect(await codeOfAsync(readRegularFile(join(dir, 'sock')))).to.equal('BERTH_E_TREE_SPECIAL');
    expect(await codeOfAsync(readRegularFile(join(dir, 'folder')))).to.equal('BERTH_E_TREE_NOT_FILE');
    expect(await codeOfAsync(readRegularFile(join(dir, 'none')))).to.equal('BERTH_E_NOT_FOUND');
  });

  it('refuses a file larger than maxBytes by its size, and reads only firstBytes when asked', async () => {
    expect(await codeOfAsync(readRegularFile(secret, { maxBytes: 3 }))).to.equal('BERTH_E_TOO_LARGE');
    expect((await readRegularFile(secret, { firstBytes: 6 })).toString()).to.equal('CANARY');
  });

  it('makes a read stream of a symlink or FIFO fail with the code instead of giving data', async () => {
    expect(await streamCode(join(dir, 'link'))).to.equal('BERTH_E_TREE_SYMLINK');
    expect(await streamCode(join(dir, 'fifo'))).to.equal('BERTH_E_TREE_SPECIAL');
    expect(await streamCode(join(dir, 'plain.txt'))).to.equal('ok');
  });

  it('every reader of tree entries (text, prefix, file handle, .npy, DICOM scans) refuses an entry swapped to a symlink or FIFO', async () => {
    for (const [name, code] of [
      ['link', 'BERTH_E_TREE_SYMLINK'],
      ['fifo', 'BERTH_E_TREE_SPECIAL'],
    ] as const) {
      const p = join(dir, name);
      expect(await codeOfAsync(readTextFile(p)), `readTextFile ${name}`).to.equal(code);
      expect(await codeOfAsync(readPrefix(p, 16)), `readPrefix ${name}`).to.equal(code);
      const handle = new FileHandle(p, 0, undefined, 'text/plain');
      expect(await codeOfAsync(handle.read()), `FileHandle.read ${name}`).to.equal(code);
      expect(await codeOfAsync(handle.text()), `FileHandle.text ${name}`).to.equal(code);
      expect(await codeOfAsync(readNpy(p)), `readNpy ${name}`).to.equal(code);
      expect(await codeOfAsync(readNpyHeader(p)), `readNpyHeader ${name}`).to.equal(code);
      expect(await codeOfAsync(scanHeader(p)), `scanHeader ${name}`).to.equal(code);
      expect(
        codeOf(() => scanHeaderSync(p)),
        `scanHeaderSync ${name}`,
      ).to.equal(code);
    }
  });

  it('a .npy behind a symlink is refused at the final open, its content never read', async () => {
    const npy = join(dir, 'real.npy');
    await writeFile(npy, encodeNpy({ dtype: 'uint8', shape: [2], data: Uint8Array.of(7, 8) }));
    await symlink(npy, join(dir, 'swapped.npy'));
    expect(await codeOfAsync(readNpy(join(dir, 'swapped.npy')))).to.equal('BERTH_E_TREE_SYMLINK');
    expect(Array.from((await readNpy(npy)).data as Uint8Array)).to.deep.equal([7, 8]);
  });

  it('copies a regular file from its opened descriptor, and refuses to copy a symlink or FIFO', async () => {
    await copyRegularFile(join(dir, 'plain.txt'), join(dir, 'copy.txt'));
    expect(await readFile(join(dir, 'copy.txt'), 'utf8')).to.equal('42');
    expect(await codeOfAsync(copyRegularFile(join(dir, 'plain.txt'), join(dir, 'copy.txt')))).to.equal(
      'BERTH_E_IO',
    );
    for (const [name, code] of [
      ['link', 'BERTH_E_TREE_SYMLINK'],
      ['fifo', 'BERTH_E_TREE_SPECIAL'],
    ] as const) {
      expect(await codeOfAsync(copyRegularFile(join(dir, name), join(dir, `c-${name}`)))).to.equal(code);
      expect(await codeOfAsync(copyFileAtomic(join(dir, name), join(dir, 'out', name)))).to.equal(code);
    }
    expect(await readdir(dir)).not.to.include('out');
  });
});
