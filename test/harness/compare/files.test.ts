import { expect } from 'chai';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PNG } from 'pngjs';
import { compareOutputs } from '../../../src/harness/compare/index.js';
import { at, jpegOf, machine, paint, picture, png16, pngOf, writeTree } from './helpers.js';
import { removeDir, tempDir } from '../../support/temp.js';

const SCHEMA = {
  report: { 'mime-type': 'application/pdf' },
  blob: { 'mime-type': 'application/octet-stream' },
  'overlay.png': { 'mime-type': 'image/png' },
  'photo.jpg': { 'mime-type': 'image/jpeg' },
};

const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');
const W = 40;
const H = 30;

describe('harness/compare: files and images', () => {
  let dir: string;
  let expected: string;
  let actual: string;
  const def = machine(SCHEMA);
  const good = () => ({
    report: PDF,
    blob: Buffer.from([0, 1, 2, 3]),
    'overlay.png': pngOf(W, H, picture),
    'photo.jpg': jpegOf(W, H, picture),
  });

  beforeEach(async () => {
    dir = await tempDir('files');
    expected = path.join(dir, 'expected');
    actual = path.join(dir, 'actual');
    await writeTree(expected, good());
  });
  afterEach(() => removeDir(dir));

  it('passes equal files: hashes for documents, pixels for PNG and JPEG', async () => {
    await writeTree(actual, good());
    const cs = await compareOutputs(def, expected, actual, { tolerances: {} });
    expect(cs.map((c) => [c.path, c.method, c.passed])).to.deep.equal([
      ['report', 'hash', true],
      ['blob', 'hash', true],
      ['overlay.png', 'image', true],
      ['photo.jpg', 'image', true],
    ]);
    expect(at(cs, 'overlay.png').metrics).to.deep.include({
      width: W,
      height: H,
      differingPixels: 0,
      maxAbsDiff: 0,
    });
    expect(at(cs, 'report').expected).to.match(/^sha256:[0-9a-f]{12}… \(\d+ bytes\)$/);
  });

  it('fails files whose bytes differ, with both hashes', async () => {
    await writeTree(actual, { ...good(), blob: Buffer.from([0, 1, 2, 4]) });
    const c = at(await compareOutputs(def, expected, actual, { tolerances: {} }), 'blob');
    expect(c.passed).to.equal(false);
    expect(c.metrics?.['expectedSha256']).to.not.equal(c.metrics?.['actualSha256']);
    expect(c.message).to.equal('The file contents differ');
  });

  it('passes the same pixels in another encoding (PNG re-encoded, different bytes)', async () => {
    const again = new PNG({ width: W, height: H });
    again.data = Buffer.from(paint(W, H, picture));
    const bytes = PNG.sync.write(again, { colorType: 2 }); // RGB without alpha: other bytes
    expect(bytes.equals(good()['overlay.png'])).to.equal(false);
    await writeTree(actual, { ...good(), 'overlay.png': bytes });
    expect(
      at(await compareOutputs(def, expected, actual, { tolerances: {} }), 'overlay.png').passed,
    ).to.equal(true);
  });

  describe('a JPEG re-encoded at another quality', () => {
    beforeEach(async () => {
      await writeTree(actual, { ...good(), 'photo.jpg': jpegOf(W, H, picture, 80) });
    });

    it('fails without a tolerance, measuring the differences', async () => {
      const c = at(await compareOutputs(def, expected, actual, { tolerances: {} }), 'photo.jpg');
      expect(c.passed).to.equal(false);
      expect(c.metrics?.['differingPixels']).to.be.greaterThan(0);
      expect(c.metrics?.['maxAbsDiff']).to.be.greaterThan(0).and.lessThan(255);
    });

    it('passes within a per-channel abs tolerance, and not one below the largest difference', async () => {
      const c0 = at(await compareOutputs(def, expected, actual, { tolerances: {} }), 'photo.jpg');
      const worst = c0.metrics?.['maxAbsDiff'] as number;
      const ok = await compareOutputs(def, expected, actual, { tolerances: { 'photo.jpg': { abs: worst } } });
      expect(at(ok, 'photo.jpg').passed).to.equal(true);
      expect(at(ok, 'photo.jpg').metrics?.['differingPixels']).to.equal(0);
      const bad = await compareOutputs(def, expected, actual, {
        tolerances: { 'photo.jpg': { abs: worst - 1 } },
      });
      expect(at(bad, 'photo.jpg').passed).to.equal(false);
    });

    it('passes when the differing pixels are within maxDiffPixels', async () => {
      const c0 = at(await compareOutputs(def, expected, actual, { tolerances: {} }), 'photo.jpg');
      const n = c0.metrics?.['differingPixels'] as number;
      const ok = await compareOutputs(def, expected, actual, {
        tolerances: { 'photo.jpg': { maxDiffPixels: n } },
      });
      expect(at(ok, 'photo.jpg').passed).to.equal(true);
      const bad = await compareOutputs(def, expected, actual, {
        tolerances: { 'photo.jpg': { maxDiffPixels: n - 1 } },
      });
      expect(at(bad, 'photo.jpg').passed).to.equal(false);
    });
  });

  it('fails images beyond the tolerance and counts exactly the changed pixels', async () => {
    // A 5×5 block turned white: 25 pixels, each far beyond abs 10.
    const changed: typeof picture = (x, y) => (x < 5 && y < 5 ? [255, 255, 255] : picture(x, y));
    await writeTree(actual, { ...good(), 'overlay.png': pngOf(W, H, changed) });
    const c = at(
      await compareOutputs(def, expected, actual, {
        tolerances: { 'overlay.png': { abs: 10, maxDiffPixels: 24 } },
      }),
      'overlay.png',
    );
    expect(c.passed).to.equal(false);
    expect(c.metrics).to.deep.include({ differingPixels: 25, maxAbsDiff: 255, maxDiffPixels: 24 });
    expect(c.message).to.match(/25 pixels differ by more than 10 \(at most 24 may\)/);
  });

  it('fails images of different sizes', async () => {
    await writeTree(actual, { ...good(), 'overlay.png': pngOf(W + 1, H, picture) });
    const c = at(await compareOutputs(def, expected, actual, { tolerances: {} }), 'overlay.png');
    expect(c.passed).to.equal(false);
    expect(c.message).to.match(/differ in size: 40×30 expected, 41×30 actual/);
  });

  it('fails, without throwing, an image file that does not decode', async () => {
    await writeTree(actual, { ...good(), 'overlay.png': Buffer.from('not a png') });
    const c = at(await compareOutputs(def, expected, actual, { tolerances: {} }), 'overlay.png');
    expect(c.passed).to.equal(false);
    expect(c.message).to.match(/actual image cannot be decoded/);
  });

  it('compares 16-bit PNGs in their own units', async () => {
    const values = Array.from({ length: 16 }, (_, i) => i * 1000);
    const schema = { 'depth.png': { 'mime-type': 'image/png' } };
    await writeTree(expected, { 'depth.png': png16(4, 4, values) });
    await writeTree(actual, {
      'depth.png': png16(
        4,
        4,
        values.map((v, i) => (i === 3 ? v + 100 : v)),
      ),
    });
    const loose = await compareOutputs(machine(schema), expected, actual, {
      tolerances: { 'depth.png': { abs: 100 } },
    });
    expect(at(loose, 'depth.png')).to.deep.include({ passed: true, expected: '4×4 PNG (16-bit)' });
    const tight = await compareOutputs(machine(schema), expected, actual, {
      tolerances: { 'depth.png': { abs: 99 } },
    });
    expect(at(tight, 'depth.png').metrics).to.deep.include({ differingPixels: 1, maxAbsDiff: 100 });
  });

  it('can be forced to compare an image by hash', async () => {
    const again = new PNG({ width: W, height: H });
    again.data = Buffer.from(paint(W, H, picture));
    await writeTree(actual, { ...good(), 'overlay.png': PNG.sync.write(again, { colorType: 2 }) });
    const c = at(
      await compareOutputs(def, expected, actual, { tolerances: { 'overlay.png': { method: 'hash' } } }),
      'overlay.png',
    );
    expect(c).to.include({ method: 'hash', passed: false });
  });

  describe('assets', () => {
    it('writes expected, actual and diff PNGs and names them relative to the asset folder', async () => {
      const changed: typeof picture = (x, y) => (x === 10 && y === 10 ? [0, 255, 0] : picture(x, y));
      await writeTree(actual, { ...good(), 'overlay.png': pngOf(W, H, changed) });
      const assetsDir = path.join(dir, 'assets');
      const cs = await compareOutputs(def, expected, actual, { tolerances: {}, assetsDir });
      const c = at(cs, 'overlay.png');
      expect(c.images).to.deep.equal({
        expected: 'overlay.png/expected.png',
        actual: 'overlay.png/actual.png',
        diff: 'overlay.png/diff.png',
      });
      const diff = PNG.sync.read(await readFile(path.join(assetsDir, c.images!.diff!)));
      const px = (x: number, y: number) => [...diff.data.subarray((y * W + x) * 4, (y * W + x) * 4 + 4)];
      expect(px(10, 10)).to.deep.equal([255, 0, 0, 255]);
      const [r, g, b] = px(0, 0);
      expect(r).to.equal(g).and.equal(b); // dimmed grey elsewhere
      const shownActual = PNG.sync.read(await readFile(path.join(assetsDir, c.images!.actual!)));
      expect([...shownActual.data.subarray((10 * W + 10) * 4, (10 * W + 10) * 4 + 3)]).to.deep.equal([
        0, 255, 0,
      ]);
      // JPEGs are shown as PNGs too; hashed files get no pictures.
      expect(at(cs, 'photo.jpg').images?.expected).to.equal('photo.jpg/expected.png');
      expect(at(cs, 'report').images).to.equal(undefined);
    });

    it('writes no diff for images of different sizes', async () => {
      await writeTree(actual, { ...good(), 'overlay.png': pngOf(W, H + 2, picture) });
      const assetsDir = path.join(dir, 'assets');
      const c = at(await compareOutputs(def, expected, actual, { tolerances: {}, assetsDir }), 'overlay.png');
      expect(c.images).to.deep.equal({
        expected: 'overlay.png/expected.png',
        actual: 'overlay.png/actual.png',
      });
      expect((await stat(path.join(assetsDir, 'overlay.png/actual.png'))).size).to.be.greaterThan(0);
    });
  });
});
