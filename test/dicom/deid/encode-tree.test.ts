/** The tree writer: the same bytes as the file it read, large values written from where they are. */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { encodeFile, encodeFileChunks, LARGE_VALUE_BYTES } from '../../../src/dicom/deid/encode-tree.js';
import { parseFile } from '../../../src/dicom/deid/tree.js';
import { writeSeries } from '../../../src/dicom/synth.js';
import { TS } from '../../../src/dicom/transfer-syntax.js';
import { removeDir, tempDir } from '../../support/temp.js';

describe('dicom/deid/encode-tree', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('encode-tree');
  });
  after(async () => {
    await removeDir(dir);
  });

  for (const [name, ts] of [
    ['explicit VR little endian', TS.ExplicitVRLittleEndian],
    ['implicit VR little endian', TS.ImplicitVRLittleEndian],
    ['explicit VR big endian', TS.ExplicitVRBigEndian],
  ] as const) {
    it(`writes an ${name} file it read back byte for byte, nested sequences and private tags included`, async () => {
      const s = await writeSeries(`${dir}/${name.length}`, {
        seed: 'enc',
        instances: 1,
        rows: 64,
        columns: 64,
        sequences: 'defined',
        privateTags: true,
        transferSyntaxUid: ts,
      });
      const bytes = await readFile(s.files[0]!.path);
      expect(encodeFile(parseFile(bytes, 'a.dcm')).equals(bytes)).to.equal(true);
    });
  }

  it('hands large values out as slices of the input (no copy) and everything else in one buffer', async () => {
    const s = await writeSeries(`${dir}/large`, { seed: 'enc', instances: 1, rows: 128, columns: 128 });
    const bytes = await readFile(s.files[0]!.path);
    const chunks = encodeFileChunks(parseFile(bytes, 'a.dcm'));
    const shared = chunks.filter((c) => c.buffer === bytes.buffer);
    expect(shared).to.have.length(1);
    expect(shared[0]!.length).to.equal(128 * 128 * 2);
    expect(shared[0]!.length).to.be.at.least(LARGE_VALUE_BYTES);
    expect(chunks.length).to.be.at.most(3);
    expect(Buffer.concat(chunks).equals(bytes)).to.equal(true);
  });
});
