import { expect } from 'chai';
import fc from 'fast-check';
import { asBytes, fromBytes, ndarray, sameNdArray } from '../../src/ndarray/ndarray.js';
import {
  decodeNdarrayMsgpack,
  encodeNdarrayMsgpack,
  isNdarrayMsgpack,
  packForPython,
  packNdarray,
  pythonPackr,
  pythonUnpackr,
  toPythonMsgpackValue,
  unpackNdarray,
} from '../../src/wire/ndarray-msgpack.js';
import { allSamples, arbNdArray } from '../support/ndarray-samples.js';
import { requirePeer } from '../support/peers.js';
import { PYTHON_NUMPY_PEER, python } from '../support/python.js';
import { codeOf } from '../support/codes.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const unhex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const EXAMPLE_49 =
  '85c4026e64c3c40474797065a33c6934c4046b696e64c400c40573686170659102c40464617461c4080100000002000000';

describe('wire/ndarray-msgpack', () => {
  it('reproduces the 49-byte worked example byte for byte (B.4.6)', () => {
    const a = ndarray('int32', [2], [1, 2]);
    const viaMap = pythonPackr.pack(encodeNdarrayMsgpack(a));
    expect(viaMap.byteLength).to.equal(49);
    expect(hex(viaMap)).to.equal(EXAMPLE_49);
    expect(hex(packNdarray(a))).to.equal(EXAMPLE_49);
    const keys = [...encodeNdarrayMsgpack(a).keys()].map((k) => k.toString('latin1'));
    expect(keys).to.deep.equal(['nd', 'type', 'kind', 'shape', 'data']);
  });

  it('matches the other worked outputs of B.4.6', () => {
    expect(hex(packNdarray(ndarray('float64', [1], [1.5]))))
      .to.contain('a33c6638')
      .and.contain('9101c40464617461c408000000000000f83f');
    expect(hex(packNdarray(ndarray('bool', [3], [1, 0, 1]))))
      .to.contain('a37c6231')
      .and.contain('c403010001');
    expect(hex(packNdarray(ndarray('uint8', [], [7]))))
      .to.contain('a37c7531')
      .and.contain('90c40464617461c40107');
    expect(hex(packNdarray(ndarray('float32', [0])))).to.contain('9100c40464617461c400');
    expect(hex(packNdarray(ndarray('int64', [2, 2], [0, 1, 2, 3]))))
      .to.contain('a33c6938')
      .and.contain('920202c40464617461c420');
    expect(hex(packNdarray(ndarray('complex128', [1], [1, 2]))))
      .to.contain('a43c633136')
      .and.contain('c410000000000000f03f0000000000000040');
    expect(hex(packNdarray(ndarray('uint8', [512])))).to.contain('c40464617461c50200');
    expect(hex(packNdarray(ndarray('uint8', [70008])))).to.contain('c40464617461c600011178');
    expect(hex(packNdarray(ndarray('uint8', [300, 70000, 0])))).to.contain('93cd012cce0001117000');
  });

  it('packs the same bytes by hand and through pythonPackr, for every dtype and shape', () => {
    for (const { name, arr } of allSamples()) {
      const a = packNdarray(arr);
      expect(hex(pythonPackr.pack(encodeNdarrayMsgpack(arr))), name).to.equal(hex(a));
      expect(sameNdArray(unpackNdarray(a), arr), name).to.equal(true);
    }
  });

  it('round-trips random arrays (property)', () => {
    fc.assert(
      fc.property(arbNdArray, (arr) => {
        const bytes = packNdarray(arr);
        const back = unpackNdarray(bytes);
        return sameNdArray(back, arr) && back.data.byteOffset % (back.data.BYTES_PER_ELEMENT ?? 1) === 0;
      }),
      { numRuns: 300 },
    );
  });

  it('reproduces the Chains binary request example inside a document', () => {
    const doc = { data: { msg: 'hi', np_array: encodeNdarrayMsgpack(ndarray('float64', [2], [1, 1])) } };
    expect(hex(packForPython(doc))).to.equal(
      '81a464617461' +
        '82a36d7367a26869a86e705f6172726179' +
        '85c4026e64c3c40474797065a33c6638c4046b696e64c400c40573686170659102c40464617461c410000000000000f03f000000000000f03f',
    );
  });

  it('decodes the variants Python accepts', () => {
    const a = unpackNdarray(unhex(EXAMPLE_49));
    expect([a.dtype, a.shape, Array.from(a.data as Int32Array)]).to.deep.equal(['int32', [2], [1, 2]]);
    expect(a.data.byteOffset % 4).to.equal(0);
    const data = Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0);
    const variants: [string, unknown][] = [
      [
        'str keys (Map)',
        new Map<unknown, unknown>([
          ['nd', true],
          ['type', '<i4'],
          ['kind', ''],
          ['shape', [2]],
          ['data', data],
        ]),
      ],
      ['str keys (object)', { nd: true, type: '<i4', kind: '', shape: [2], data }],
      [
        'type as bin',
        pythonUnpackr.unpack(pythonPackr.pack({ nd: true, type: Buffer.from('<i4'), shape: [2], data })),
      ],
      ['no kind', { nd: true, type: '<i4', shape: [2], data }],
      ['name form', { nd: true, type: 'int32', shape: [2], data }],
      ['bigint shape', { nd: true, type: '<i4', shape: [2n], data }],
    ];
    for (const [name, v] of variants) {
      expect(isNdarrayMsgpack(v), name).to.equal(true);
      const d = decodeNdarrayMsgpack(v);
      expect([d.dtype, d.shape, Array.from(d.data as Int32Array)], name).to.deep.equal([
        'int32',
        [2],
        [1, 2],
      ]);
    }
    const be = decodeNdarrayMsgpack({
      nd: true,
      type: '>i4',
      kind: '',
      shape: [2],
      data: Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2),
    });
    expect(Array.from(be.data as Int32Array)).to.deep.equal([1, 2]);
    // numpy scalar (B.4.2): np.float32(1.5) becomes a 0-d array
    const s = unpackNdarray(unhex('83 c4026e64 c2 c40474797065 a33c6634 c40464617461 c4040000c03f'));
    expect([s.dtype, s.shape, Array.from(s.data as Float32Array)]).to.deep.equal(['float32', [], [1.5]]);
    expect(isNdarrayMsgpack(new Map([['x', 1]]))).to.equal(false);
  });

  it('returns a view on the message when aligned, a copy when asked', () => {
    const msg = packNdarray(ndarray('uint8', [4], [1, 2, 3, 4]));
    const v = unpackNdarray(msg);
    expect(v.data.buffer).to.equal(msg.buffer);
    expect(unpackNdarray(msg, { copy: true }).data.buffer).to.not.equal(msg.buffer);
  });

  it('refuses object, structured and malformed maps with codes', () => {
    const data = Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0);
    const base = { nd: true, type: '<i4', kind: '', shape: [2], data };
    const cases: [string, unknown, string][] = [
      [
        'object kind (pickle)',
        { ...base, kind: Buffer.from('O'), type: [['', '|O']], data: Buffer.from('\x80\x02c', 'latin1') },
        'BERTH_E_WIRE_UNSAFE',
      ],
      [
        'structured kind',
        {
          ...base,
          kind: Buffer.from('V'),
          type: [
            ['a', '<i4'],
            ['b', '<f8'],
          ],
        },
        'BERTH_E_WIRE_UNSAFE',
      ],
      ['descr list without kind', { ...base, type: [['a', '<i4']] }, 'BERTH_E_WIRE_UNSAFE'],
      ['object type text', { ...base, type: '|O' }, 'BERTH_E_WIRE_UNSAFE'],
      ['nd as 1', { ...base, nd: 1 }, 'BERTH_E_WIRE_NDARRAY'],
      ['no nd', { type: '<i4', shape: [2], data }, 'BERTH_E_WIRE_NDARRAY'],
      ['shape larger than data', { ...base, shape: [3] }, 'BERTH_E_WIRE_NDARRAY'],
      ['shape smaller than data', { ...base, shape: [1] }, 'BERTH_E_WIRE_NDARRAY'],
      ['negative shape', { ...base, shape: [-2] }, 'BERTH_E_WIRE_NDARRAY'],
      ['no shape', { nd: true, type: '<i4', data }, 'BERTH_E_WIRE_NDARRAY'],
      ['data as str', { ...base, data: 'abcdefgh' }, 'BERTH_E_WIRE_NDARRAY'],
      ['unicode type', { ...base, type: '<U2' }, 'BERTH_E_WIRE_NDARRAY'],
      ['unknown kind', { ...base, kind: 'Z' }, 'BERTH_E_WIRE_NDARRAY'],
      ['scalar of wrong size', { nd: false, type: '<f8', data: Uint8Array.of(1, 2) }, 'BERTH_E_WIRE_NDARRAY'],
      [
        'duplicate bin and str key',
        new Map<unknown, unknown>([
          [Buffer.from('nd'), true],
          ['nd', true],
          ['type', '<i4'],
          ['shape', [2]],
          ['data', data],
        ]),
        'BERTH_E_WIRE_NDARRAY',
      ],
      ['not a map', [1, 2], 'BERTH_E_WIRE_NDARRAY'],
    ];
    for (const [name, v, code] of cases)
      expect(
        codeOf(() => decodeNdarrayMsgpack(v, { property: 'p' })),
        name,
      ).to.equal(code);
    // the legacy use_bin_type=False form carries data as str: refused rather than misread
    const legacy = unhex(
      '85 a2 6e64 c3 a4 74797065 a3 3c6934 a4 6b696e64 a0 a5 7368617065 91 02 a4 64617461 a8 0100000002000000',
    );
    expect(codeOf(() => unpackNdarray(legacy))).to.equal('BERTH_E_WIRE_NDARRAY');
    expect(codeOf(() => unpackNdarray(unhex('85c4')))).to.equal('BERTH_E_WIRE_FORMAT');
  });

  it('makes documents safe for Python or refuses them', () => {
    expect(hex(packForPython({ a: 1 }))).to.equal('81a16101');
    expect(hex(packForPython([undefined, null]))).to.equal('92c0c0');
    expect(hex(packForPython(2 ** 40))).to.equal('d30000010000000000');
    expect(hex(packForPython(-(2 ** 40)))).to.equal('d3ffffff0000000000');
    expect(hex(packForPython(0xffffffff))).to.equal('ceffffffff');
    expect(hex(packForPython(1.5))).to.equal('cb3ff8000000000000');
    expect(toPythonMsgpackValue(new Map([['k', 2 ** 33]]))).to.deep.equal(new Map([['k', 2n ** 33n]]));
    expect(codeOf(() => packForPython({ when: new Date(0) }))).to.equal('BERTH_E_WIRE_FORMAT');
    expect(codeOf(() => packForPython({ arr: new Float32Array(2) }))).to.equal('BERTH_E_WIRE_FORMAT');
    expect(codeOf(() => packForPython(new Set([1])))).to.equal('BERTH_E_WIRE_FORMAT');
    expect(codeOf(() => packForPython(() => 1))).to.equal('BERTH_E_WIRE_FORMAT');
    expect(codeOf(() => packForPython(2n ** 70n))).to.equal('BERTH_E_WIRE_FORMAT');
    const m = pythonUnpackr.unpack(packForPython({ a: { b: [1, 2 ** 40] } })) as Map<
      string,
      Map<string, unknown>
    >;
    expect(m.get('a')?.get('b')).to.deep.equal([1, 2 ** 40]);
  });

  describe('interop with msgpack-numpy 0.4.8', function () {
    this.timeout(60_000);
    before(async function () {
      await requirePeer(this, PYTHON_NUMPY_PEER);
    });

    it('packs byte-identically to Python and Python decodes it identically', async () => {
      const samples = allSamples();
      const ours = Object.fromEntries(samples.map(({ name, arr }) => [name, hex(packNdarray(arr))]));
      const script = `
import sys, json, msgpack, msgpack_numpy, numpy as np
res = {}
for name, h in json.load(sys.stdin).items():
    a = msgpack.unpackb(bytes.fromhex(h), object_hook=msgpack_numpy.decode)
    again = msgpack.packb(a, default=msgpack_numpy.encode).hex()
    res[name] = [type(a).__name__, str(a.dtype), list(a.shape), a.tobytes().hex(), again]
print(json.dumps(res))`;
      const out = await python(script, { input: Buffer.from(JSON.stringify(ours)) });
      const res = JSON.parse(out.toString()) as Record<string, [string, string, number[], string, string]>;
      for (const { name, arr } of samples) {
        expect(res[name], name).to.deep.equal([
          'ndarray',
          arr.dtype,
          arr.shape,
          hex(asBytes(arr)),
          ours[name],
        ]);
      }
    });

    it('decodes what Python packs: big endian, Fortran, slices, 0-d, scalars, documents', async () => {
      const script = `
import json, msgpack, msgpack_numpy, numpy as np
cases = {}
def add(name, a):
    c = np.array(a).copy(order='C'); c = c.astype(c.dtype.newbyteorder('<'))
    cases[name] = [msgpack.packb(a, default=msgpack_numpy.encode).hex(), c.dtype.name, list(c.shape), c.tobytes().hex()]
rng = np.random.default_rng(5)
for dt in ['bool','int8','int16','int32','int64','uint8','uint16','uint32','uint64','float16','float32','float64','complex64','complex128']:
    raw = rng.integers(0, 256, size=12 * np.dtype(dt).itemsize, dtype=np.uint8)
    a = (raw[:12] & 1).astype(bool) if dt == 'bool' else raw.view(dt)
    add(dt, a.reshape(2, 6))
    add(dt + '_be', a.astype(a.dtype.newbyteorder('>')).reshape(3, 4))
    add(dt + '_fortran', np.asfortranarray(a.reshape(3, 4)))
add('slice', np.arange(60, dtype='<f8').reshape(6, 10)[::2, 1::3])
add('scalar0d', np.array(9, dtype='<u2'))
add('empty', np.zeros((3, 0), dtype='<c8'))
add('np_int64', np.int64(-3))
add('np_float32', np.float32(1.5))
add('np_bool', np.bool_(True))
doc = {'data': {'msg': 'hi', 'np_array': np.ones(2)}}
print(json.dumps({'cases': cases, 'doc': msgpack.packb(doc, default=msgpack_numpy.encode).hex()}))`;
      const out = JSON.parse((await python(script)).toString()) as {
        cases: Record<string, [string, string, number[], string]>;
        doc: string;
      };
      for (const [name, [packed, dtype, shape, bytes]] of Object.entries(out.cases)) {
        const a = unpackNdarray(unhex(packed));
        expect([a.dtype, a.shape, hex(asBytes(a))], name).to.deep.equal([dtype, shape, bytes]);
      }
      const doc = pythonUnpackr.unpack(unhex(out.doc)) as Map<string, Map<string, unknown>>;
      const inner = doc.get('data');
      expect(inner?.get('msg')).to.equal('hi');
      const arr = decodeNdarrayMsgpack(inner?.get('np_array'));
      expect(Array.from(arr.data as Float64Array)).to.deep.equal([1, 1]);
      expect(hex(packForPython({ data: { msg: 'hi', np_array: encodeNdarrayMsgpack(arr) } }))).to.equal(
        out.doc,
      );
    });

    it('Python reads a 0-d array from berth', async () => {
      const a = fromBytes('float64', [], new Uint8Array(8));
      const out = await python(
        'import sys, msgpack, msgpack_numpy\n' +
          'a = msgpack.unpackb(sys.stdin.buffer.read(), object_hook=msgpack_numpy.decode)\n' +
          'print(a.shape, a.dtype)',
        { input: packNdarray(a) },
      );
      expect(out.toString().trim()).to.equal('() float64');
    });
  });
});
