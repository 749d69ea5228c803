import { expect } from 'chai';
import path from 'node:path';
import { compareOutputs } from '../../../src/harness/compare/index.js';
import type { Tolerance } from '../../../src/harness/types.js';
import type { DtypeName } from '../../../src/ndarray/dtype.js';
import { ndarray, type NdArray } from '../../../src/ndarray/ndarray.js';
import { encodeNpy } from '../../../src/ndarray/npy.js';
import { at, machine, pngOf, writeTree } from './helpers.js';
import { removeDir, tempDir } from '../../support/temp.js';

describe('harness/compare: ndarrays and segmentations', () => {
  let dir: string;
  const def = machine({
    'probs.npy': { type: 'ndarray' },
    'mask.npy': { type: 'ndarray' },
    'labels.png': { 'mime-type': 'image/png' },
  });

  beforeEach(async () => {
    dir = await tempDir('arrays');
  });
  afterEach(() => removeDir(dir));

  async function compare(
    name: string,
    e: NdArray | Buffer,
    a: NdArray | Buffer,
    tolerance?: Tolerance,
  ): Promise<ReturnType<typeof at>> {
    const bytes = (x: NdArray | Buffer) => (Buffer.isBuffer(x) ? x : encodeNpy(x));
    await writeTree(path.join(dir, 'expected'), { [name]: bytes(e) });
    await writeTree(path.join(dir, 'actual'), { [name]: bytes(a) });
    const cs = await compareOutputs(def, path.join(dir, 'expected'), path.join(dir, 'actual'), {
      tolerances: tolerance ? { [name]: tolerance } : {},
    });
    return at(cs, name);
  }

  const f32 = (values: number[], shape = [values.length]) => ndarray('float32', shape, values);

  describe('allclose', () => {
    it('passes equal arrays of every dtype', async () => {
      const cases: [DtypeName, (number | bigint)[]][] = [
        ['bool', [0, 1, 1]],
        ['uint8', [0, 7, 255]],
        ['int16', [-3, 0, 3]],
        ['float16', [0x3c00, 0x4000, 0x7e00]], // 1, 2, NaN as half bits
        ['float64', [1.5, NaN, -Infinity]],
        ['int64', [-(2n ** 62n), 0n, 2n ** 62n]],
        ['complex64', [1, 2, 3, 4, 5, 6]],
      ];
      for (const [dtype, values] of cases) {
        const lanes = dtype.startsWith('complex') ? 2 : 1;
        const arr = ndarray(dtype, [values.length / lanes], values as never);
        const c = await compare('probs.npy', arr, arr);
        expect(c, dtype).to.include({
          method: 'allclose',
          passed: true,
          expected: `${dtype}[${values.length / lanes}]`,
        });
      }
    });

    it('passes values within abs + rel·|e| and reports the largest differences', async () => {
      const c = await compare('probs.npy', f32([1, 2, 4]), f32([1.05, 2, 4.2]), { abs: 0.05, rel: 0.04 });
      expect(c.passed).to.equal(true);
      expect(c.metrics?.['maxAbs']).to.be.closeTo(0.2, 1e-6);
      expect(c.metrics?.['maxRel']).to.be.closeTo(0.05, 1e-6);
      expect(c.metrics?.['beyond']).to.equal(0);
    });

    it('fails values beyond the tolerance, counting them and locating the first', async () => {
      const e = f32([0, 1, 2, 3, 4, 5], [2, 3]);
      const a = f32([0, 1, 2.5, 3, 4, 7], [2, 3]);
      const c = await compare('probs.npy', e, a, { abs: 0.1 });
      expect(c.passed).to.equal(false);
      expect(c.metrics).to.deep.include({ size: 6, beyond: 2, maxAbs: 2 });
      expect(c.metrics?.['firstBeyond']).to.deep.equal({ index: [0, 2], expected: '2', actual: '2.5' });
      expect(c.message).to.match(/2 of 6 elements differ.*first at \[0, 2\]/);
    });

    it('is exact without a tolerance', async () => {
      const c = await compare('probs.npy', f32([1]), f32([1.0000001]));
      expect(c.passed).to.equal(false);
    });

    it('treats NaN as equal only to NaN, and infinities only to themselves', async () => {
      expect((await compare('probs.npy', f32([NaN, 1]), f32([NaN, 1]))).passed).to.equal(true);
      const oneSided = await compare('probs.npy', f32([NaN, 1]), f32([0, 1]), { abs: 1e9 });
      expect(oneSided.passed).to.equal(false);
      expect(oneSided.metrics?.['beyond']).to.equal(1);
      expect((await compare('probs.npy', f32([Infinity]), f32([Infinity]))).passed).to.equal(true);
      expect((await compare('probs.npy', f32([Infinity]), f32([1e30]), { rel: 1 })).passed).to.equal(false);
    });

    it('compares 64-bit integers exactly beyond 2^53', async () => {
      const e = ndarray('int64', [1], [2n ** 60n]);
      const a = ndarray('int64', [1], [2n ** 60n + 1n]);
      const c = await compare('probs.npy', e, a);
      expect(c.passed).to.equal(false);
      expect(c.metrics?.['maxAbs']).to.equal(1);
    });

    it('compares complex elements by the modulus of the difference', async () => {
      const e = ndarray('complex128', [1], [3, 4]);
      const a = ndarray('complex128', [1], [3.3, 4.4]); // |Δ| = 0.5, |e| = 5
      expect((await compare('probs.npy', e, a, { rel: 0.1 })).passed).to.equal(true);
      expect((await compare('probs.npy', e, a, { rel: 0.09 })).passed).to.equal(false);
    });

    it('fails a different dtype or shape', async () => {
      const d = await compare('probs.npy', f32([1, 2]), ndarray('float64', [2], [1, 2]));
      expect(d.message).to.equal('The dtypes differ: float32 expected, float64 actual');
      const s = await compare('probs.npy', f32([1, 2, 3, 4], [2, 2]), f32([1, 2, 3, 4], [4]));
      expect(s.message).to.equal('The shapes differ: [2, 2] expected, [4] actual');
    });

    it('fails, without throwing, an actual file that is not .npy', async () => {
      const c = await compare('probs.npy', f32([1]), Buffer.from('nope'));
      expect(c.passed).to.equal(false);
      expect(c.message).to.match(/actual array cannot be read/);
    });
  });

  describe('dice', () => {
    // 10 × 10 labels: label 1 a 4 × 4 block (16 voxels), label 2 a 2 × 5 strip (10 voxels).
    const labels = (shift: number, extra?: [number, number, number]) => {
      const v = new Array<number>(100).fill(0);
      for (let y = 1; y < 5; y++) for (let x = 1 + shift; x < 5 + shift; x++) v[y * 10 + x] = 1;
      for (let y = 7; y < 9; y++) for (let x = 2; x < 7; x++) v[y * 10 + x] = 2;
      if (extra) v[extra[0] * 10 + extra[1]] = extra[2];
      return ndarray('uint8', [10, 10], v);
    };

    it('passes identical label maps with Dice 1 per label, background excluded', async () => {
      const c = await compare('mask.npy', labels(0), labels(0), { method: 'dice' });
      expect(c).to.include({ method: 'dice', passed: true });
      expect(c.metrics).to.deep.include({
        labels: [1, 2],
        dice: { 1: 1, 2: 1 },
        minDice: 1,
        threshold: 0.99,
      });
    });

    it('scores each label: a shifted block loses overlap, the other label keeps Dice 1', async () => {
      const c = await compare('mask.npy', labels(0), labels(1), { dice: 0.7 });
      // Shifted by one column: 12 of 16 voxels shared, Dice = 24 / 32.
      expect(c.metrics?.['dice']).to.deep.equal({ 1: 0.75, 2: 1 });
      expect(c.metrics?.['expectedCount']).to.deep.equal({ 1: 16, 2: 10 });
      expect(c.passed).to.equal(true);
      const strict = await compare('mask.npy', labels(0), labels(1), { dice: 0.8 });
      expect(strict.passed).to.equal(false);
      expect(strict.message).to.match(
        /Dice below 0.8 for label 1 \(0.7500: 16 expected, 16 actual, 12 shared\)/,
      );
    });

    it('uses the default threshold 0.99 when only the method is given', async () => {
      const c = await compare('mask.npy', labels(0), labels(0, [0, 0, 1]), { method: 'dice' });
      // Label 1 gains one voxel: Dice = 32 / 33 < 0.99.
      expect(c.metrics?.['dice']).to.deep.include({ 1: 32 / 33 });
      expect(c.passed).to.equal(false);
    });

    it('scores a label found on one side only as 0', async () => {
      const c = await compare('mask.npy', labels(0), labels(0, [9, 9, 3]), { dice: 0.5 });
      expect(c.metrics?.['dice']).to.deep.equal({ 1: 1, 2: 1, 3: 0 });
      expect(c.passed).to.equal(false);
    });

    it('scores label images by grey value or colour', async () => {
      const paintLabels =
        (shift: number) =>
        (x: number, y: number): [number, number, number] =>
          x >= 2 + shift && x < 6 + shift && y < 4 ? [1, 1, 1] : y >= 6 ? [255, 0, 0] : [0, 0, 0];
      const c = await compare('labels.png', pngOf(10, 10, paintLabels(0)), pngOf(10, 10, paintLabels(2)), {
        dice: 0.9,
      });
      expect(c.method).to.equal('dice');
      expect(c.metrics?.['dice']).to.deep.equal({ 1: 0.5, '#ff0000': 1 });
      expect(c.passed).to.equal(false);
    });
  });
});
