/**
 * DICOM case values: a `{dicom: folder}` with a byte-identical second copy of an instance is
 * delivered without it and with a notice, as `berth sort` skips it; a different file with the same
 * SOPInstanceUID still stops the case.
 */
import { expect } from 'chai';
import { copyFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkManifest } from '../../src/check/manifest.js';
import { writeSeries } from '../../src/dicom/synth.js';
import { isBerthError } from '../../src/errors.js';
import { placeAll } from '../../src/harness/dicom-case.js';
import { materialiseValues } from '../../src/harness/materialise.js';
import { loadManifestText } from '../../src/manifest/load.js';
import { removeDir, tempDir } from '../support/temp.js';

const DEF = checkManifest(
  loadManifestText(
    'metadata-version: 2\ninfo: {name: x}\nschema-in:\n  ct: {dicom-type: dicom-series}\nschema-out: {o: {type: boolean}}\n',
    'inline.yaml',
  ),
).definition;

describe('harness/dicom-case: DICOM folders in case files', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('dicom-case');
  });
  after(() => removeDir(dir));

  it('skips a byte-identical duplicate file with a notice naming both files', async () => {
    const src = join(dir, 'dup');
    const written = await writeSeries(src, { seed: 2, instances: 3, rows: 16, columns: 16 });
    const first = written.files[0]!.path;
    await copyFile(first, join(src, 'copy-of-first.dcm'));
    const notices: string[] = [];
    const out = join(dir, 'dup-out');
    await materialiseValues(DEF.inputs, { ct: { dicom: src } }, out, {
      baseDir: dir,
      notice: (line) => notices.push(line),
    });
    expect(await readdir(join(out, 'ct'))).to.have.length(3);
    expect(notices).to.have.length(1);
    expect(notices[0]).to.match(
      /^ct: skipped a byte-identical duplicate, .* \(same bytes as .*\), as berth sort does$/,
    );
    expect(notices[0]).to.include('copy-of-first.dcm');
  });

  it('refuses a different file with the same SOPInstanceUID (BERTH_E_DUPLICATE_INSTANCE)', async () => {
    const src = join(dir, 'clash');
    const written = await writeSeries(src, { seed: 3, instances: 2, rows: 16, columns: 16 });
    const bytes = await readFile(written.files[0]!.path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff; // one pixel differs
    await writeFile(join(src, 'changed.dcm'), bytes);
    const notices: string[] = [];
    const err = await materialiseValues(DEF.inputs, { ct: { dicom: src } }, join(dir, 'clash-out'), {
      baseDir: dir,
      notice: (line) => notices.push(line),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBerthError(err) && err.code, String(err)).to.equal('BERTH_E_DUPLICATE_INSTANCE');
    expect(notices).to.deep.equal([]);
  });
  it('with linkDicom (a machine that cannot write its input), lays instances out as hard links to the folder’s files', async () => {
    const src = join(dir, 'linked');
    const written = await writeSeries(src, { seed: 6, instances: 2, rows: 16, columns: 16 });
    const out = join(dir, 'linked-out');
    await materialiseValues(DEF.inputs, { ct: { dicom: src } }, out, { baseDir: dir, linkDicom: true });
    const copies = join(dir, 'copied-out');
    await materialiseValues(DEF.inputs, { ct: { dicom: src } }, copies, { baseDir: dir });
    for (const f of written.files) {
      const ino = (await stat(f.path)).ino;
      expect((await stat(join(out, 'ct', `${f.sopInstanceUid}.dcm`))).ino).to.equal(ino);
      expect((await stat(join(copies, 'ct', `${f.sopInstanceUid}.dcm`))).ino).not.to.equal(ino);
    }
  });

  it('lays a folder out straight from it, each instance written once: no sorted copy in a temporary folder', async () => {
    const src = join(dir, 'direct');
    const written = await writeSeries(src, { seed: 4, instances: 3, rows: 16, columns: 16 });
    // A temporary folder that does not exist: a sorted copy there would fail the case.
    const saved = process.env['TMPDIR'];
    process.env['TMPDIR'] = join(dir, 'no-such-tmp');
    const out = join(dir, 'direct-out');
    try {
      await materialiseValues(DEF.inputs, { ct: { dicom: src } }, out, { baseDir: dir });
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
    }
    for (const f of written.files) {
      const laid = await readFile(join(out, 'ct', `${f.sopInstanceUid}.dcm`));
      expect(laid.equals(await readFile(f.path))).to.equal(true);
    }
  });
  it('places instances four at once and conversions one at a time, and throws the failure placing them in order would have', async () => {
    let now = 0;
    let most = 0;
    let convertingNow = 0;
    let mostConverting = 0;
    const started: number[] = [];
    const wait = () => new Promise((r) => setTimeout(r, 5));
    const err = await placeAll(12, async (i, converting) => {
      started.push(i);
      now++;
      most = Math.max(most, now);
      try {
        if (i % 3 === 0) {
          await converting(async () => {
            convertingNow++;
            mostConverting = Math.max(mostConverting, convertingNow);
            await wait();
            convertingNow--;
          });
        } else await wait();
        // 6 fails last of those running with it, 5 first: 5 is the one thrown.
        if (i === 6) throw new Error('six');
        if (i === 5) throw new Error('five');
      } finally {
        now--;
      }
    }).then(
      () => undefined,
      (e: unknown) => (e as Error).message,
    );
    expect(err).to.equal('five');
    expect(most).to.equal(4);
    expect(mostConverting).to.equal(1);
    expect(Math.max(...started)).to.be.below(9); // nothing started once 5 failed
  });
});
