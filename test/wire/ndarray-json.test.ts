import { expect } from 'chai';
import fc from 'fast-check';
import { asBytes, fromBytes, ndarray, sameNdArray } from '../../src/ndarray/ndarray.js';
import { decodeNdarrayJson, encodeNdarrayJson, isNdarrayJson } from '../../src/wire/ndarray-json.js';
import { allSamples, arbNdArray } from '../support/ndarray-samples.js';
import { requirePeer } from '../support/peers.js';
import { PYTHON_NUMPY_PEER, python } from '../support/python.js';
import { codeOf } from '../support/codes.js';

describe('wire/ndarray-json', () => {
  it("writes Chains' form: data_b64, shape, dtype as str(dtype)", () => {
    const a = ndarray('int64', [2, 2], [10, 11, 12, 13]);
    expect(JSON.stringify(encodeNdarrayJson(a))).to.equal(
      '{"data_b64":"CgAAAAAAAAALAAAAAAAAAAwAAAAAAAAADQAAAAAAAAA=","shape":[2,2],"dtype":"int64"}',
    );
    expect(JSON.stringify(encodeNdarrayJson(ndarray('float64', [2], [1, 1])))).to.equal(
      '{"data_b64":"AAAAAAAA8D8AAAAAAADwPw==","shape":[2],"dtype":"float64"}',
    );
    expect(encodeNdarrayJson(ndarray('bool', [1])).dtype).to.equal('bool');
  });

  it('round-trips every dtype and shape', () => {
    for (const { name, arr } of allSamples()) {
      const text = JSON.stringify(encodeNdarrayJson(arr));
      expect(sameNdArray(decodeNdarrayJson(JSON.parse(text)), arr), name).to.equal(true);
    }
  });

  it('round-trips random arrays (property)', () => {
    fc.assert(
      fc.property(arbNdArray, (arr) =>
        sameNdArray(decodeNdarrayJson(JSON.parse(JSON.stringify(encodeNdarrayJson(arr)))), arr),
      ),
      { numRuns: 300 },
    );
  });

  it('reads name and str forms, big endian, 0-d, and ignores extra keys', () => {
    const be = decodeNdarrayJson({
      data_b64: Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]).toString('base64'),
      shape: [2],
      dtype: '>i4',
    });
    expect(Array.from(be.data as Int32Array)).to.deep.equal([1, 2]);
    const f = decodeNdarrayJson({ data_b64: 'AAAAAAAA+D8=', shape: [], dtype: '<f8', extra: 1 });
    expect([f.dtype, f.shape, Array.from(f.data as Float64Array)]).to.deep.equal(['float64', [], [1.5]]);
    expect(decodeNdarrayJson({ data_b64: 'AAAAAAAA+D8=', shape: [1], dtype: 'd' }).dtype).to.equal('float64');
    expect(decodeNdarrayJson({ data_b64: '', shape: [0, 4], dtype: 'float32' }).shape).to.deep.equal([0, 4]);
    expect(isNdarrayJson({ data_b64: '', shape: [], dtype: 'x' })).to.equal(true);
    expect(isNdarrayJson({ data: '', shape: [], dtype: 'x' })).to.equal(false);
  });

  it('gives an aligned array even for small decoded payloads', () => {
    for (let i = 0; i < 20; i++) {
      const a = decodeNdarrayJson(encodeNdarrayJson(ndarray('float64', [3], [i, 2, 3])));
      expect(a.data.byteOffset % 8).to.equal(0);
    }
  });

  it('refuses malformed values with codes', () => {
    const ok = { data_b64: 'AQACAA==', shape: [2], dtype: 'int16' };
    const cases: [string, unknown, string, RegExp?][] = [
      ['not an object', 'x', 'BERTH_E_WIRE_NDARRAY'],
      ['an array', [1, 2], 'BERTH_E_WIRE_NDARRAY'],
      ['missing data_b64', { shape: [2], dtype: 'int16' }, 'BERTH_E_WIRE_NDARRAY'],
      ['data_b64 not a string', { ...ok, data_b64: 5 }, 'BERTH_E_WIRE_NDARRAY'],
      ['dtype not a string', { ...ok, dtype: 3 }, 'BERTH_E_WIRE_NDARRAY'],
      ['shape too large', { ...ok, shape: [3] }, 'BERTH_E_WIRE_NDARRAY', /shorter/],
      ['shape too small', { ...ok, shape: [1] }, 'BERTH_E_WIRE_NDARRAY', /longer/],
      ['shape -1', { ...ok, shape: [-1] }, 'BERTH_E_WIRE_NDARRAY'],
      ['shape not a list', { ...ok, shape: 2 }, 'BERTH_E_WIRE_NDARRAY'],
      ['shape of floats', { ...ok, shape: [2.5] }, 'BERTH_E_WIRE_NDARRAY'],
      ['unpadded base64', { ...ok, data_b64: 'AQACAA' }, 'BERTH_E_WIRE_NDARRAY', /padded/],
      [
        'url-safe base64',
        { data_b64: '-_8A', shape: [3], dtype: 'uint8' },
        'BERTH_E_WIRE_NDARRAY',
        /URL-safe/,
      ],
      [
        'stray character',
        { data_b64: 'AQ*CAA==', shape: [2], dtype: 'int16' },
        'BERTH_E_WIRE_NDARRAY',
        /alphabet/,
      ],
      ['padding inside', { data_b64: 'AQ==AAAA', shape: [3], dtype: 'int16' }, 'BERTH_E_WIRE_NDARRAY'],
      ['whitespace', { data_b64: 'AQAC AA=', shape: [2], dtype: 'int16' }, 'BERTH_E_WIRE_NDARRAY'],
      ['unicode dtype', { ...ok, dtype: '<U1' }, 'BERTH_E_WIRE_NDARRAY'],
      ['datetime dtype', { ...ok, dtype: 'datetime64[ns]' }, 'BERTH_E_WIRE_NDARRAY'],
      ['unknown dtype', { ...ok, dtype: 'float128' }, 'BERTH_E_WIRE_NDARRAY'],
      ['object dtype', { ...ok, dtype: 'object' }, 'BERTH_E_WIRE_UNSAFE'],
      ['structured dtype', { ...ok, dtype: "[('a', '<i4'), ('b', '<f8')]" }, 'BERTH_E_WIRE_UNSAFE'],
    ];
    for (const [name, value, code, message] of cases) {
      expect(
        codeOf(() => decodeNdarrayJson(value, { property: 'x' })),
        name,
      ).to.equal(code);
      if (message) expect(() => decodeNdarrayJson(value)).to.throw(message);
    }
    expect(() => decodeNdarrayJson({ ...ok, shape: [3] }, { path: 'case.json', property: 'in/a' })).to.throw(
      /case\.json.*property in\/a/,
    );
  });

  describe('interop with Chains (numpy + base64)', function () {
    this.timeout(60_000);
    before(async function () {
      await requirePeer(this, PYTHON_NUMPY_PEER);
    });

    it('decodes in Python with the NumpyArrayField expression', async () => {
      const samples = allSamples();
      const docs = Object.fromEntries(samples.map(({ name, arr }) => [name, encodeNdarrayJson(arr)]));
      const script = `
import sys, json, base64, numpy as np
res = {}
for name, d in json.load(sys.stdin).items():
    a = np.frombuffer(base64.b64decode(d['data_b64']), dtype=d['dtype']).reshape(d['shape'])
    res[name] = [str(a.dtype), list(a.shape), a.tobytes().hex()]
print(json.dumps(res))`;
      const out = await python(script, { input: Buffer.from(JSON.stringify(docs)) });
      const res = JSON.parse(out.toString()) as Record<string, [string, number[], string]>;
      for (const { name, arr } of samples) {
        expect(res[name], name).to.deep.equal([
          arr.dtype,
          arr.shape,
          Buffer.from(asBytes(arr)).toString('hex'),
        ]);
      }
    });

    it('decodes what the NumpyArrayField serializer writes', async () => {
      const script = `
import json, base64, numpy as np
def ser(a): return {"data_b64": base64.b64encode(a.tobytes()).decode("utf-8"), "shape": a.shape, "dtype": str(a.dtype)}
cases = {}
def add(name, a):
    c = a.copy(order='C'); c = c.astype(c.dtype.newbyteorder('<'))
    cases[name] = [json.dumps(ser(a)), c.dtype.name, list(c.shape), c.tobytes().hex()]
rng = np.random.default_rng(3)
for dt in ['bool','int8','int16','int32','int64','uint8','uint16','uint32','uint64','float16','float32','float64','complex64','complex128']:
    raw = rng.integers(0, 256, size=12 * np.dtype(dt).itemsize, dtype=np.uint8)
    a = (raw[:12] & 1).astype(bool) if dt == 'bool' else raw.view(dt)
    add(dt, a.reshape(3, 4))
    add(dt + '_be', a.astype(a.dtype.newbyteorder('>')).reshape(2, 6))
    add(dt + '_T', a.reshape(3, 4).T)
add('scalar', np.array(2.5))
add('empty', np.zeros((2, 0), dtype='int16'))
add('slice', np.arange(50, dtype='float32').reshape(5, 10)[1::2, ::3])
print(json.dumps(cases))`;
      const cases = JSON.parse((await python(script)).toString()) as Record<
        string,
        [string, string, number[], string]
      >;
      for (const [name, [text, dtype, shape, hex]] of Object.entries(cases)) {
        const a = decodeNdarrayJson(JSON.parse(text));
        expect([a.dtype, a.shape, Buffer.from(asBytes(a)).toString('hex')], name).to.deep.equal([
          dtype,
          shape,
          hex,
        ]);
      }
      // and a 0-d array berth writes, which Chains' JSON schema (minItems 1) would not even allow
      expect(encodeNdarrayJson(fromBytes('uint8', [], Uint8Array.of(7))).shape).to.deep.equal([]);
    });
  });
});
