import { expect } from 'chai';
import {
  DTYPES,
  DTYPE_NAMES,
  classifyDtype,
  dtypeStr,
  float16ToNumber,
  numberToFloat16,
  parseDtype,
} from '../../src/ndarray/dtype.js';
import { PYTHON_NUMPY_PEER, python } from '../support/python.js';
import { requirePeer } from '../support/peers.js';
import { codeOf } from '../support/codes.js';

describe('ndarray/dtype', () => {
  it('has numpy str, kind, item size and storage for every dtype', () => {
    const want: Record<string, [string, string, number, string]> = {
      bool: ['|b1', 'b', 1, 'Uint8Array'],
      int8: ['|i1', 'i', 1, 'Int8Array'],
      int16: ['<i2', 'i', 2, 'Int16Array'],
      int32: ['<i4', 'i', 4, 'Int32Array'],
      int64: ['<i8', 'i', 8, 'BigInt64Array'],
      uint8: ['|u1', 'u', 1, 'Uint8Array'],
      uint16: ['<u2', 'u', 2, 'Uint16Array'],
      uint32: ['<u4', 'u', 4, 'Uint32Array'],
      uint64: ['<u8', 'u', 8, 'BigUint64Array'],
      float16: ['<f2', 'f', 2, 'Uint16Array'],
      float32: ['<f4', 'f', 4, 'Float32Array'],
      float64: ['<f8', 'f', 8, 'Float64Array'],
      complex64: ['<c8', 'c', 8, 'Float32Array'],
      complex128: ['<c16', 'c', 16, 'Float64Array'],
    };
    expect(DTYPE_NAMES).to.have.members(Object.keys(want));
    for (const name of DTYPE_NAMES) {
      const d = DTYPES[name];
      expect([d.str, d.kind, d.itemSize, d.storage.name], name).to.deep.equal(want[name]);
      expect(d.lanes * d.laneSize).to.equal(d.itemSize);
    }
    expect(dtypeStr('int32', 'big')).to.equal('>i4');
    expect(dtypeStr('uint8', 'big')).to.equal('|u1');
  });

  it('parses str forms with any byte order', () => {
    expect(parseDtype('<f4')).to.deep.equal({ dtype: 'float32', byteOrder: 'little' });
    expect(parseDtype('>i4')).to.deep.equal({ dtype: 'int32', byteOrder: 'big' });
    expect(parseDtype('=f8')).to.deep.equal({ dtype: 'float64', byteOrder: 'little' });
    expect(parseDtype('|u1')).to.deep.equal({ dtype: 'uint8', byteOrder: 'little' });
    expect(parseDtype('|b1')).to.deep.equal({ dtype: 'bool', byteOrder: 'little' });
    expect(parseDtype('>u1')).to.deep.equal({ dtype: 'uint8', byteOrder: 'little' });
    expect(parseDtype('>c16')).to.deep.equal({ dtype: 'complex128', byteOrder: 'big' });
    expect(parseDtype('!f2')).to.deep.equal({ dtype: 'float16', byteOrder: 'big' });
    expect(parseDtype('>i')).to.deep.equal({ dtype: 'int32', byteOrder: 'big' });
  });

  it('parses name forms and char codes', () => {
    const cases: Record<string, string> = {
      float64: 'float64',
      f8: 'float64',
      d: 'float64',
      float: 'float64',
      double: 'float64',
      bool: 'bool',
      bool_: 'bool',
      '?': 'bool',
      uint8: 'uint8',
      B: 'uint8',
      complex128: 'complex128',
      complex: 'complex128',
      c8: 'complex64',
      F: 'complex64',
      half: 'float16',
      e: 'float16',
      int: 'int64',
      l: 'int64',
      intc: 'int32',
      i: 'int32',
    };
    for (const [text, dtype] of Object.entries(cases)) expect(parseDtype(text).dtype, text).to.equal(dtype);
  });

  it('refuses object, structured, strings, datetime and unknown dtypes with codes', () => {
    for (const t of ['O', '|O', 'object', "[('a', '<i4')]", 'V8', '|V4']) {
      expect(
        codeOf(() => parseDtype(t, { code: 'BERTH_E_WIRE_NDARRAY', unsafeCode: 'BERTH_E_WIRE_UNSAFE' })),
        t,
      ).to.equal('BERTH_E_WIRE_UNSAFE');
      expect(
        codeOf(() => parseDtype(t)),
        t,
      ).to.equal('BERTH_E_NPY_DTYPE');
    }
    for (const t of [
      '<U5',
      '|S3',
      'str',
      '<M8[ns]',
      'datetime64[ns]',
      '<m8[s]',
      'float128',
      '<f16',
      'c32',
      'i3',
      'x',
      '',
      'Float64',
      '>float64',
    ]) {
      expect(
        codeOf(() => parseDtype(t)),
        t,
      ).to.equal('BERTH_E_NPY_DTYPE');
    }
    expect(classifyDtype('<U5')).to.include({ ok: false, reason: 'string' });
    expect(classifyDtype('<M8[ns]')).to.include({ ok: false, reason: 'datetime' });
    expect(classifyDtype('|O')).to.include({ ok: false, reason: 'object' });
  });

  it('converts float16 bits both ways with round-to-nearest-even', () => {
    expect(float16ToNumber(0x3c00)).to.equal(1);
    expect(float16ToNumber(0xc000)).to.equal(-2);
    expect(float16ToNumber(0x7bff)).to.equal(65504);
    expect(float16ToNumber(0x0001)).to.equal(2 ** -24);
    expect(float16ToNumber(0x7c00)).to.equal(Infinity);
    expect(Number.isNaN(float16ToNumber(0x7e00))).to.equal(true);
    expect(Object.is(float16ToNumber(0x8000), -0)).to.equal(true);
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = float16ToNumber(bits);
      if (Number.isNaN(v)) continue;
      expect(numberToFloat16(v)).to.equal(bits);
    }
    expect(numberToFloat16(65520)).to.equal(0x7c00);
    expect(numberToFloat16(65519.99)).to.equal(0x7bff);
    expect(numberToFloat16(1 + 2 ** -11)).to.equal(0x3c00); // tie to even
    expect(numberToFloat16(1 + 3 * 2 ** -11)).to.equal(0x3c02);
    expect(numberToFloat16(2 ** -25)).to.equal(0);
    expect(numberToFloat16(2 ** -25 + 2 ** -40)).to.equal(1);
  });

  describe('against numpy', function () {
    before(async function () {
      await requirePeer(this, PYTHON_NUMPY_PEER);
    });

    it('rounds to float16 exactly as np.float16 does', async () => {
      const values: number[] = [
        0.1,
        1 / 3,
        2 / 3,
        1e-5,
        6.1e-5,
        5.96e-8,
        2.98e-8,
        3e-8,
        65519,
        65520,
        1e9,
        -0.3,
        1e-300,
      ];
      for (let i = 0; i < 200; i++)
        values.push((Math.sin(i * 12.9898) * 43758.5453) % 70000, Math.cos(i) * 2 ** -(i % 30));
      const out = await python(
        'import sys, json, numpy as np\n' +
          'v = json.load(sys.stdin)\n' +
          'print(json.dumps([int(x) for x in np.array(v, dtype=np.float64).astype(np.float16).view(np.uint16)]))',
        { input: Buffer.from(JSON.stringify(values)) },
      );
      const want = JSON.parse(out.toString()) as number[];
      expect(values.map(numberToFloat16)).to.deep.equal(want);
    });

    it('agrees with np.dtype on every accepted text', async () => {
      const texts = [
        '<f4',
        '>i4',
        '=f8',
        '|u1',
        '|b1',
        'float64',
        'f8',
        'bool',
        'bool_',
        'uint8',
        'complex128',
        'd',
        '?',
        'half',
        'int',
        'l',
        'L',
        '>c8',
        'e',
        'F',
        'D',
        'B',
        'h',
        'H',
        'I',
        'q',
        'Q',
        '<u8',
        'csingle',
        'cdouble',
        'ubyte',
        'short',
      ];
      const out = await python(
        'import sys, json, numpy as np\n' +
          'print(json.dumps([[np.dtype(t).newbyteorder("=").name if np.dtype(t).isnative else np.dtype(t).newbyteorder("<").name, np.dtype(t).byteorder == ">"] for t in json.load(sys.stdin)]))',
        { input: Buffer.from(JSON.stringify(texts)) },
      );
      const want = JSON.parse(out.toString()) as [string, boolean][];
      texts.forEach((t, i) => {
        const p = parseDtype(t);
        expect([p.dtype, p.byteOrder === 'big'], t).to.deep.equal(want[i]);
      });
    });
  });
});
