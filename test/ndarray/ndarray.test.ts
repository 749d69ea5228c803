import { expect } from 'chai';
import { isBerthError } from '../../src/errors.js';
import {
  asBytes,
  byteLengthOf,
  checkNdArray,
  fortranToC,
  fromBytes,
  ndarray,
  sameNdArray,
  shapeSize,
} from '../../src/ndarray/ndarray.js';
import { codeOf } from '../support/codes.js';

describe('ndarray/ndarray', () => {
  it('computes sizes from shapes and refuses bad shapes', () => {
    expect(shapeSize([])).to.equal(1);
    expect(shapeSize([0])).to.equal(0);
    expect(shapeSize([2, 3, 4])).to.equal(24);
    expect(shapeSize([2n, 3])).to.equal(6);
    expect(byteLengthOf('complex128', [3])).to.equal(48);
    for (const bad of [[-1], [1.5], ['2'], [2 ** 53], [2 ** 30, 2 ** 30, 2 ** 30], 'x', null]) {
      expect(
        codeOf(() => shapeSize(bad)),
        JSON.stringify(bad),
      ).to.equal('BERTH_E_NPY_SHAPE');
    }
    expect(codeOf(() => shapeSize([-1], { code: 'BERTH_E_WIRE_NDARRAY' }))).to.equal('BERTH_E_WIRE_NDARRAY');
  });

  it('views aligned little-endian bytes without copying', () => {
    const buf = new ArrayBuffer(64);
    const bytes = new Uint8Array(buf, 8, 16);
    const a = fromBytes('float32', [2, 2], bytes);
    expect(a.data.buffer).to.equal(buf);
    expect(a.data.byteOffset).to.equal(8);
    expect(asBytes(a).buffer).to.equal(buf);
  });

  it('copies only when alignment or byte swapping requires it', () => {
    const buf = new ArrayBuffer(64);
    const odd = new Uint8Array(buf, 3, 8);
    odd.set([1, 0, 0, 0, 2, 0, 0, 0]);
    const a = fromBytes('int32', [2], odd);
    expect(a.data.buffer).to.not.equal(buf);
    expect(Array.from(a.data as Int32Array)).to.deep.equal([1, 2]);

    const be = Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2);
    const b = fromBytes('int32', [2], be, { byteOrder: 'big' });
    expect(Array.from(b.data as Int32Array)).to.deep.equal([1, 2]);
    expect(Array.from(be)).to.deep.equal([0, 0, 0, 1, 0, 0, 0, 2]); // caller's bytes untouched

    const owned = Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2);
    const c = fromBytes('int32', [2], owned, { byteOrder: 'big', owned: true });
    expect(c.data.buffer).to.equal(owned.buffer); // swapped in place
    expect(Array.from(c.data as Int32Array)).to.deep.equal([1, 2]);

    const odd8 = new Uint8Array(new ArrayBuffer(32), 1, 8);
    expect(fromBytes('uint8', [8], odd8).data.byteOffset).to.equal(1); // one-byte types never need alignment
    expect(fromBytes('uint8', [8], odd8, { copy: true }).data.buffer).to.not.equal(odd8.buffer);
  });

  it('swaps each complex part and float16 separately', () => {
    const c = fromBytes('complex64', [1], Uint8Array.of(0x3f, 0xc0, 0, 0, 0x40, 0, 0, 0), {
      byteOrder: 'big',
    });
    expect(Array.from(c.data as Float32Array)).to.deep.equal([1.5, 2]);
    const h = fromBytes('float16', [1], Uint8Array.of(0x3c, 0x00), { byteOrder: 'big' });
    expect(Array.from(h.data as Uint16Array)).to.deep.equal([0x3c00]);
  });

  it('refuses data longer or shorter than the shape, saying which', () => {
    try {
      fromBytes('int16', [3], new Uint8Array(8));
      expect.fail('no error');
    } catch (e) {
      expect(isBerthError(e) && e.code).to.equal('BERTH_E_NPY_SHAPE');
      expect((e as Error).message).to.match(/longer/);
    }
    try {
      fromBytes('int16', [3], new Uint8Array(4), { code: 'BERTH_E_WIRE_NDARRAY' });
      expect.fail('no error');
    } catch (e) {
      expect(isBerthError(e) && e.code).to.equal('BERTH_E_WIRE_NDARRAY');
      expect((e as Error).message).to.match(/shorter/);
    }
  });

  it('checks arrays built by hand', () => {
    expect(() => checkNdArray(ndarray('float64', [2, 2], [1, 2, 3, 4]))).to.not.throw();
    expect(codeOf(() => checkNdArray({ dtype: 'float64', shape: [3], data: new Float64Array(2) }))).to.equal(
      'BERTH_E_NPY_SHAPE',
    );
    expect(codeOf(() => checkNdArray({ dtype: 'float64', shape: [2], data: new Float32Array(2) }))).to.equal(
      'BERTH_E_NPY_SHAPE',
    );
    expect(codeOf(() => checkNdArray({ dtype: 'float128', shape: [2], data: new Float64Array(2) }))).to.equal(
      'BERTH_E_NPY_SHAPE',
    );
    expect(
      codeOf(() => checkNdArray({ dtype: 'complex64', shape: [2], data: new Float32Array(2) })),
    ).to.equal('BERTH_E_NPY_SHAPE');
  });

  it('builds arrays from values for every storage kind', () => {
    expect(Array.from(ndarray('int64', [2], [1, -2]).data as BigInt64Array)).to.deep.equal([1n, -2n]);
    expect(Array.from(ndarray('bool', [3], [true, false, 2]).data as Uint8Array)).to.deep.equal([1, 0, 1]);
    expect(Array.from(ndarray('float16', [2], [1, -2]).data as Uint16Array)).to.deep.equal([0x3c00, 0xc000]);
    expect(ndarray('complex128', [2]).data.length).to.equal(4);
    expect(() => ndarray('int8', [2], [1])).to.throw(/2 values|needs 2/);
  });

  it('reorders Fortran-order bytes into C order', () => {
    // C-order values 0..23 of shape (2,3,4); its Fortran layout lists a[i,j,k] with i fastest.
    const shape = [2, 3, 4];
    for (const [dtype, size] of [
      ['uint8', 1],
      ['int16', 2],
      ['int32', 4],
      ['complex128', 16],
    ] as const) {
      const f = new Uint8Array(24 * size);
      let p = 0;
      for (let k = 0; k < 4; k++)
        for (let j = 0; j < 3; j++)
          for (let i = 0; i < 2; i++) {
            const v = i * 12 + j * 4 + k;
            for (let b = 0; b < size; b++) f[p++] = b === 0 ? v : 0xa0 + b;
          }
      const c = fortranToC(f, shape, size);
      for (let v = 0; v < 24; v++) {
        expect(c[v * size], `${dtype} element ${v}`).to.equal(v);
        if (size > 1) expect(c[v * size + size - 1]).to.equal(0xa0 + size - 1);
      }
    }
    const one = Uint8Array.of(1, 2, 3);
    expect(fortranToC(one, [3], 1)).to.equal(one);
  });

  it('compares arrays by dtype, shape and bytes', () => {
    const a = ndarray('float32', [2], [1, NaN]);
    expect(sameNdArray(a, ndarray('float32', [2], [1, NaN]))).to.equal(true);
    expect(sameNdArray(a, ndarray('float32', [1, 2], [1, NaN]))).to.equal(false);
    expect(sameNdArray(a, ndarray('float32', [2], [1, 2]))).to.equal(false);
  });
});
