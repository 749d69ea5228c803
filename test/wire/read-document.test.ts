/** Documents read from stdin or a file (src/wire/read-document.ts): never more than the size limit. */
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readDocumentFile, readDocumentStream } from '../../src/wire/read-document.js';
import { codeOfAsync } from '../support/codes.js';

describe('wire/read-document: bounded reads of documents', () => {
  it('stops reading an endless stream (stdin) just past the limit, refusing it with BERTH_E_TOO_LARGE', async () => {
    let pulled = 0;
    const endless = new Readable({
      highWaterMark: 1,
      read() {
        pulled++;
        this.push(Buffer.alloc(64 * 1024, 0x20));
      },
    });
    expect(await codeOfAsync(readDocumentStream(endless, '-', 1 << 20))).to.equal('BERTH_E_TOO_LARGE');
    expect(pulled).to.be.below(20);
    expect(endless.destroyed).to.equal(true);
    const small = await readDocumentStream(
      Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]),
      '-',
      100,
    );
    expect(small.toString()).to.equal('{"a":1}');
  });

  it('refuses a file over the limit by its size before reading it, and reads one within it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-read-doc-'));
    try {
      const file = path.join(dir, 'doc.json');
      await writeFile(file, Buffer.alloc(2048, 0x20));
      expect(await codeOfAsync(readDocumentFile(file, 1024))).to.equal('BERTH_E_TOO_LARGE');
      expect((await readDocumentFile(file, 2048)).byteLength).to.equal(2048);
      expect(await codeOfAsync(readDocumentFile(dir, 2048))).to.match(/BERTH_E_/);
      expect(await codeOfAsync(readDocumentFile(path.join(dir, 'none'), 2048))).to.equal('BERTH_E_NOT_FOUND');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
