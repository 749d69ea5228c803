/**
 * Whole trees as msgpack documents: round trips for every kind, the document's exact structure
 * (bin files, msgpack-numpy maps with bin keys), what decoding accepts from Python peers and what
 * it refuses, and interop with real Python msgpack + msgpack-numpy 0.4.8. The single-array form
 * (incl. the 49-byte worked example of wire-formats.md B.4.6) is covered by
 * test/wire/ndarray-msgpack.test.ts.
 */
import { expect } from 'chai';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Packr } from 'msgpackr';
import { checkTree } from '../../src/check/tree.js';
import { synthTree } from '../../src/harness/synth-tree.js';
import { asBytes, ndarray, type NdArray } from '../../src/ndarray/ndarray.js';
import { readObject } from '../../src/sdk/read-value.js';
import { writeValue } from '../../src/sdk/write-value.js';
import { safeJoin } from '../../src/tree/safe-path.js';
import {
  decodeTree,
  decodeTreeMsgpack,
  encodeTree,
  encodeTreeMsgpack,
  parseMsgpackDocument,
} from '../../src/wire/case.js';
import { encodeNdarrayJson } from '../../src/wire/ndarray-json.js';
import {
  encodeNdarrayMsgpack,
  packForPython,
  pythonPackr,
  pythonUnpackr,
} from '../../src/wire/ndarray-msgpack.js';
import { allSamples } from '../support/ndarray-samples.js';
import { requirePeer } from '../support/peers.js';
import { PYTHON_NUMPY_PEER, python } from '../support/python.js';
import {
  definitionOf,
  EVERY_KIND,
  expectSameTree,
  freshPaths,
  hex,
  itRoundTripsEveryTree,
  listFiles,
  machine,
  problemsOf,
} from '../support/wire-case.js';
import { codeOfAsync } from '../support/codes.js';

const DEF = definitionOf(`
metadata-version: 2
info: {name: wire-msgpack}
schema-in:
  text: {type: string}
  count: {type: integer}
  big: {type: integer, nullable: true}
  x: {type: number}
  ratio: {type: percentage}
  flag: {type: boolean}
  when: {type: date-time}
  blob: {mime-type: application/octet-stream}
  arr: {type: ndarray, nullable: true}
  typed: {type: ndarray, dtype: int32, shape: [2], nullable: true}
  arrays: {type: array, items: {type: ndarray}, nullable: true}
schema-out:
  ok: {type: boolean}
`);

/** A document as Python would build it: str keys (msgpack `Map`s here), bin files, msgpack-numpy arrays. */
function goodDoc(): Map<string, unknown> {
  return new Map<string, unknown>([
    ['text', 'héllo'],
    ['count', 3],
    ['big', 2 ** 40],
    ['x', 2.5],
    ['ratio', 0.25],
    ['flag', true],
    ['when', '2024-01-02T03:04:05Z'],
    ['blob', Buffer.from([0, 1, 2, 255])],
    ['arr', encodeNdarrayMsgpack(ndarray('float32', [2, 2], [1, 2, 3, 4]))],
  ]);
}

const pack = (doc: unknown): Buffer => packForPython(doc);

describe('wire/case: trees as msgpack documents', () => {
  const fresh = freshPaths('wire-msgpack');

  describe('round trips tree → document → tree', () => {
    itRoundTripsEveryTree(12, fresh, async ({ def, side, props, src, dst }) => {
      const bytes = await encodeTreeMsgpack(props, src);
      await decodeTreeMsgpack(props, bytes, dst);
      await expectSameTree(src, dst);
      expect(await checkTree(def, side, dst)).to.deep.equal([]);
      expect(hex(await encodeTreeMsgpack(props, dst))).to.equal(hex(bytes));
    });
  });

  describe('the document', () => {
    it('is a map of str keys; files and DICOM instances are bin; arrays are msgpack-numpy maps', async () => {
      const def = await machine(EVERY_KIND);
      const src = fresh();
      await synthTree(def, 'in', src, { seed: 5 });
      const bytes = await encodeTree('msgpack', def.inputs, src);
      // A map header as Python writes a dict: fixmap up to 15 entries, map16 beyond.
      expect(def.inputs.length).to.be.above(15);
      expect(hex(bytes.subarray(0, 3))).to.equal(`de${def.inputs.length.toString(16).padStart(4, '0')}`);
      const doc = pythonUnpackr.unpack(bytes) as Map<unknown, unknown>;
      expect([...doc.keys()]).to.deep.equal(def.inputs.map((p) => p.name));
      expect(Buffer.isBuffer(doc.get('photo'))).to.equal(true);
      expect((doc.get('photo') as Buffer).equals(await readFile(path.join(src, 'photo')))).to.equal(true);
      const volume = doc.get('volume') as Map<unknown, unknown>;
      const keys = [...volume.keys()];
      expect(keys.every((k) => Buffer.isBuffer(k))).to.equal(true);
      expect(keys.map((k) => (k as Buffer).toString('latin1'))).to.deep.equal([
        'nd',
        'type',
        'kind',
        'shape',
        'data',
      ]);
      const v = [...volume.values()];
      expect(v[0]).to.equal(true);
      expect(v[1]).to.equal('<f4');
      expect(Buffer.isBuffer(v[2]) && (v[2] as Buffer).length === 0).to.equal(true);
      expect(v[3]).to.be.an('array').with.length(3);
      expect(Buffer.isBuffer(v[4])).to.equal(true);
      const ct = doc.get('ct') as Buffer[];
      expect(ct).to.have.length((await readdir(path.join(src, 'ct'))).length);
      for (const inst of ct) expect(inst.subarray(128, 132).toString('latin1')).to.equal('DICM');
      expect((doc.get('study') as Buffer[]).length).to.equal(
        (await listFiles(path.join(src, 'study'))).length,
      );
      expect(Buffer.isBuffer(doc.get('image'))).to.equal(true);
      expect(doc.get('survival')).to.be.instanceOf(Map);
    });

    it('packs 64-bit integers as int64, never as float64', async () => {
      const dir = fresh();
      await decodeTreeMsgpack(DEF.inputs, pack(goodDoc()), dir);
      const bytes = await encodeTreeMsgpack(DEF.inputs, dir);
      // big: 2^40 as int64 (d3), never as float64 (cb)
      expect(hex(bytes)).to.contain(`a3626967d3${(2n ** 40n).toString(16).padStart(16, '0')}`);
      const doc = pythonUnpackr.unpack(bytes) as Map<string, unknown>;
      expect(doc.get('big')).to.equal(2 ** 40);
      expect(doc.get('when')).to.equal('2024-01-02T03:04:05Z');
      expect(doc.get('ratio')).to.equal(0.25);
    });
  });

  describe('decoding accepts what Python peers send', () => {
    const written = async (doc: unknown): Promise<string> => {
      const dir = fresh();
      await decodeTreeMsgpack(DEF.inputs, Buffer.isBuffer(doc) ? doc : pack(doc), dir);
      return dir;
    };
    const arrayOf = async (dir: string, name = 'arr'): Promise<[string, number[], number[]]> => {
      const values = await readObject(DEF.inputs, dir, { realRoot: dir });
      const a = values[name] as NdArray;
      return [a.dtype, a.shape, Array.from(a.data as ArrayLike<number>, Number)];
    };
    const data = Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0);

    it('msgpack-numpy maps with bin or str keys, name-form and big-endian types, 0-d arrays', async () => {
      const variants: [string, unknown, [string, number[], number[]]][] = [
        ['bin keys', encodeNdarrayMsgpack(ndarray('int32', [2], [1, 2])), ['int32', [2], [1, 2]]],
        [
          'str keys',
          new Map<string, unknown>([
            ['nd', true],
            ['type', '<i4'],
            ['kind', ''],
            ['shape', [2]],
            ['data', data],
          ]),
          ['int32', [2], [1, 2]],
        ],
        [
          'name form',
          {
            nd: true,
            type: 'float64',
            kind: Buffer.alloc(0),
            shape: [1],
            data: Buffer.from('000000000000f83f', 'hex'),
          },
          ['float64', [1], [1.5]],
        ],
        [
          'big endian',
          { nd: true, type: '>i4', kind: '', shape: [2], data: Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2) },
          ['int32', [2], [1, 2]],
        ],
        ['0-d', { nd: true, type: '|u1', kind: '', shape: [], data: Uint8Array.of(7) }, ['uint8', [], [7]]],
        [
          'numpy scalar',
          { nd: false, type: '<f4', data: Buffer.from('0000c03f', 'hex') },
          ['float32', [], [1.5]],
        ],
        [
          'JSON form inside msgpack',
          encodeNdarrayJson(ndarray('int16', [3], [1, -2, 3])),
          ['int16', [3], [1, -2, 3]],
        ],
      ];
      for (const [name, arr, want] of variants) {
        const doc = goodDoc();
        doc.set('arr', arr);
        expect(await arrayOf(await written(doc)), name).to.deep.equal(want);
      }
    });

    it('datetimes as Truss maps or msgpack timestamps, percentages as text', async () => {
      const truss = goodDoc();
      truss.set(
        'when',
        new Map<unknown, unknown>([
          [Buffer.from('__dt_datetime_iso__'), true],
          [Buffer.from('data'), '2024-01-02T03:04:05Z'],
        ]),
      );
      expect(await readFile(path.join(await written(truss), 'when'), 'utf8')).to.equal(
        '2024-01-02T03:04:05Z',
      );
      // A msgpack timestamp (ext -1), as Python's msgpack writes a datetime with datetime=True.
      const stamped = goodDoc();
      stamped.set('when', new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 500)));
      const bytes = new Packr({ useRecords: false, mapsAsObjects: false }).pack(stamped);
      expect(await readFile(path.join(await written(bytes), 'when'), 'utf8')).to.equal(
        '2024-01-02T03:04:05.500Z',
      );
      const pct = goodDoc();
      pct.set('ratio', '12.5%');
      expect(await readFile(path.join(await written(pct), 'ratio'), 'utf8')).to.equal('12.5%');
    });
  });

  describe('refusals, with codes and JSON pointers', () => {
    const refused = async (body: Uint8Array, options = {}): Promise<[string, string | undefined][]> => {
      const dir = fresh();
      const problems = await problemsOf(() => decodeTreeMsgpack(DEF.inputs, body, dir, options));
      expect(await listFiles(dir)).to.deep.equal([]);
      return problems;
    };
    const withValue = (key: string, value: unknown): Buffer => {
      const doc = goodDoc();
      doc.set(key, value);
      return pack(doc);
    };
    const base = { nd: true, type: '<i4', kind: '', shape: [2], data: Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0) };

    it('object and structured arrays (never unpickled), malformed arrays', async () => {
      const cases: [string, unknown, string][] = [
        [
          'object array',
          {
            ...base,
            kind: Buffer.from('O'),
            type: [['', '|O']],
            data: Buffer.from('\x80\x02cnumpy', 'latin1'),
          },
          'BERTH_E_WIRE_UNSAFE',
        ],
        [
          'structured array',
          { ...base, kind: Buffer.from('V'), type: [['a', '<i4']] },
          'BERTH_E_WIRE_UNSAFE',
        ],
        ['object dtype text', { ...base, type: '|O' }, 'BERTH_E_WIRE_UNSAFE'],
        ['shape larger than data', { ...base, shape: [3] }, 'BERTH_E_WIRE_NDARRAY'],
        ['shape smaller than data', { ...base, shape: [1] }, 'BERTH_E_WIRE_NDARRAY'],
        ['data as str', { ...base, data: 'abcdefgh' }, 'BERTH_E_WIRE_NDARRAY'],
        ['a plain list', [1, 2], 'BERTH_E_WIRE_NDARRAY'],
        ['a map without nd', { type: '<i4' }, 'BERTH_E_WIRE_NDARRAY'],
      ];
      for (const [name, arr, code] of cases)
        expect(await refused(withValue('arr', arr)), name).to.deep.equal([[code, '/arr']]);
      expect(await refused(withValue('typed', encodeNdarrayMsgpack(ndarray('int32', [3]))))).to.deep.equal([
        ['BERTH_E_NDARRAY_MISMATCH', '/typed'],
      ]);
      const doc = goodDoc();
      doc.set('arrays', [encodeNdarrayMsgpack(ndarray('uint8', [1])), { ...base, kind: 'O' }]);
      expect(await refused(pack(doc))).to.deep.equal([['BERTH_E_WIRE_UNSAFE', '/arrays/1']]);
    });

    it('values of the wrong msgpack type', async () => {
      const cases: [string, string, unknown, string][] = [
        ['file as str', 'blob', 'AAEC', 'BERTH_E_VALUE_TYPE'],
        ['string as bin', 'text', Buffer.from('hi'), 'BERTH_E_VALUE_TYPE'],
        ['integer as float', 'count', 1.5, 'BERTH_E_VALUE_TYPE'],
        ['integer beyond 2^53', 'big', 2n ** 60n, 'BERTH_E_INTEGER_UNSAFE'],
        ['boolean as int', 'flag', 1, 'BERTH_E_VALUE_TYPE'],
        [
          'naive Truss datetime',
          'when',
          new Map<Buffer, unknown>([
            [Buffer.from('__dt_datetime_iso__'), true],
            [Buffer.from('data'), '2024-01-02T03:04:05'],
          ]),
          'BERTH_E_VALUE_TEXT',
        ],
      ];
      for (const [name, key, value, code] of cases)
        expect(await refused(withValue(key, value)), name).to.deep.equal([[code, `/${key}`]]);
    });

    it('documents that are not one msgpack map of str keys', async () => {
      const binKeyed = pythonPackr.pack(
        new Map<unknown, unknown>([[Buffer.from('text'), 'x'], ...goodDoc()]),
      );
      expect(await refused(binKeyed)).to.deep.equal([['BERTH_E_WIRE_FORMAT', '']]);
      expect(await refused(pack([1, 2]))).to.deep.equal([['BERTH_E_VALUE_TYPE', '']]);
      expect(await refused(Buffer.concat([pack(goodDoc()), Buffer.from([0xc0])]))).to.deep.equal([
        ['BERTH_E_WIRE_FORMAT', ''],
      ]);
      expect(await refused(pack(goodDoc()).subarray(0, 20))).to.deep.equal([['BERTH_E_WIRE_FORMAT', '']]);
      expect(await refused(new Uint8Array(0))).to.deep.equal([['BERTH_E_WIRE_FORMAT', '']]);
      expect(await refused(pack(goodDoc()), { maxBytes: 16 })).to.deep.equal([['BERTH_E_TOO_LARGE', '']]);
      // msgpackr's records extension (JS only; Python never sends it) is no map.
      const records = new Packr({ useRecords: true }).pack(Object.fromEntries(goodDoc()));
      expect(await refused(records)).to.deep.equal([['BERTH_E_VALUE_TYPE', '']]);
      // Nesting deep enough to exhaust a parser's stack is refused before parsing; the parser still works.
      const deep = Buffer.concat([
        Buffer.of(0x81, 0xa1, 0x61),
        Buffer.alloc(500_000, 0x91),
        Buffer.from([0xc0]),
      ]);
      const [[code, at]] = (await refused(deep)) as [[string, string]];
      expect([code, at?.slice(0, 6)]).to.deep.equal(['BERTH_E_TOO_DEEP', '/a/0/0']);
      expect(await codeOfAsync(() => parseMsgpackDocument(pack(goodDoc())))).to.equal(undefined);
    });

    it('refuses encoding beyond maxBytes', async () => {
      const dir = fresh();
      await decodeTreeMsgpack(DEF.inputs, pack(goodDoc()), dir);
      expect(await codeOfAsync(() => encodeTreeMsgpack(DEF.inputs, dir, { maxBytes: 100 }))).to.equal(
        'BERTH_E_TOO_LARGE',
      );
    });
  });

  describe('interop with Python msgpack + msgpack-numpy 0.4.8', function () {
    this.timeout(60_000);
    before(async function () {
      await requirePeer(this, PYTHON_NUMPY_PEER);
    });

    it('Python reads what berth writes: every dtype and shape, every primitive', async () => {
      const samples = allSamples();
      const dir = fresh();
      const values: Record<string, unknown> = {
        text: 'snow ☃',
        count: -7,
        big: 2 ** 40 + 1,
        x: 2.5,
        ratio: 0.125,
        flag: false,
        when: '2024-01-02T03:04:05+01:00',
        blob: Buffer.from([0, 255, 1]),
        arrays: samples.map((s) => s.arr),
      };
      for (const p of DEF.inputs)
        if (values[p.name] !== undefined) await writeValue(p, safeJoin(dir, p.name), values[p.name], {});
      const body = await encodeTree('msgpack', DEF.inputs, dir);
      const script = `
import sys, json, msgpack, msgpack_numpy, numpy as np
d = msgpack.unpackb(sys.stdin.buffer.read(), object_hook=msgpack_numpy.decode)
arrays = [[type(a).__name__, str(a.dtype), list(a.shape), a.tobytes().hex()] for a in d['arrays']]
prims = {k: [type(d[k]).__name__, d[k]] for k in ['text', 'count', 'big', 'x', 'ratio', 'flag', 'when']}
print(json.dumps({'arrays': arrays, 'prims': prims, 'blob': [type(d['blob']).__name__, d['blob'].hex()], 'keys': list(d)}))`;
      const out = JSON.parse((await python(script, { input: body })).toString()) as {
        arrays: [string, string, number[], string][];
        prims: Record<string, [string, unknown]>;
        blob: [string, string];
        keys: string[];
      };
      expect(out.arrays).to.deep.equal(
        samples.map(({ arr }) => ['ndarray', arr.dtype, arr.shape, hex(asBytes(arr))]),
      );
      expect(out.prims).to.deep.equal({
        text: ['str', 'snow ☃'],
        count: ['int', -7],
        big: ['int', 2 ** 40 + 1],
        x: ['float', 2.5],
        ratio: ['float', 0.125],
        flag: ['bool', false],
        when: ['str', '2024-01-02T03:04:05+01:00'],
      });
      expect(out.blob).to.deep.equal(['bytes', '00ff01']);
      expect(out.keys).to.deep.equal([
        'text',
        'count',
        'big',
        'x',
        'ratio',
        'flag',
        'when',
        'blob',
        'arrays',
      ]);
    });

    it('packs a document byte for byte as Python packs the same dict', async () => {
      const dir = fresh();
      await decodeTreeMsgpack(DEF.inputs, pack(goodDoc()), dir);
      const ours = await encodeTree('msgpack', DEF.inputs, dir);
      const script = `
import sys, msgpack, msgpack_numpy, numpy as np
doc = {'text': 'héllo', 'count': 3, 'big': 2**40, 'x': 2.5, 'ratio': 0.25, 'flag': True,
       'when': '2024-01-02T03:04:05Z', 'blob': bytes([0, 1, 2, 255]),
       'arr': np.array([[1, 2], [3, 4]], dtype='<f4')}
sys.stdout.write(msgpack.packb(doc, default=msgpack_numpy.encode).hex())`;
      // One difference: Python packs a positive int beyond 32 bits as uint64 (cf), msgpackr a BigInt
      // as int64 (d3). Both are the same int to every msgpack reader.
      const theirs = (await python(script)).toString();
      expect(theirs).to.contain('cf0000010000000000');
      expect(hex(ours)).to.equal(theirs.replace('cf0000010000000000', 'd30000010000000000'));
    });

    it('berth reads what Python packs: byte orders, memory orders, 0-d, scalars, Truss datetimes', async () => {
      const script = `
import sys, json, msgpack, msgpack_numpy, numpy as np
arrays, expect = [], []
def add(a):
    arrays.append(a)
    c = np.array(a).copy(order='C'); c = c.astype(c.dtype.newbyteorder('<'))
    expect.append([c.dtype.name, list(c.shape), c.tobytes().hex()])
rng = np.random.default_rng(3)
for dt in ['bool','int8','int16','int32','int64','uint8','uint16','uint32','uint64','float16','float32','float64','complex64','complex128']:
    raw = rng.integers(0, 256, size=12 * np.dtype(dt).itemsize, dtype=np.uint8)
    a = (raw[:12] & 1).astype(bool) if dt == 'bool' else raw.view(dt)
    add(a.reshape(3, 4))
    add(a.astype(a.dtype.newbyteorder('>')).reshape(2, 2, 3))
    add(np.asfortranarray(a.reshape(4, 3)))
add(np.arange(60, dtype='<f8').reshape(6, 10)[::2, 1::3])
add(np.array(9, dtype='<u2'))
add(np.zeros((3, 0), dtype='<c8'))
add(np.int64(-3))
add(np.float32(1.5))
doc = {'text': 'ok', 'count': 2**31, 'big': -(2**53 - 1), 'x': 0.1, 'ratio': 0.5, 'flag': True,
       'when': {b'__dt_datetime_iso__': True, b'data': '2024-01-02T03:04:05.123456Z'},
       'blob': bytes(range(256)), 'arrays': arrays}
print(json.dumps({'doc': msgpack.packb(doc, default=msgpack_numpy.encode).hex(), 'expect': expect}))`;
      const out = JSON.parse((await python(script)).toString()) as {
        doc: string;
        expect: [string, number[], string][];
      };
      const dir = fresh();
      await decodeTree('msgpack', DEF.inputs, Buffer.from(out.doc, 'hex'), dir);
      const values = await readObject(DEF.inputs, dir, { realRoot: dir });
      const arrays = values['arrays'] as NdArray[];
      expect(arrays.map((a) => [a.dtype, a.shape, hex(asBytes(a))])).to.deep.equal(out.expect);
      expect(values['count']).to.equal(2 ** 31);
      expect(values['big']).to.equal(-(2 ** 53 - 1));
      expect(await readFile(path.join(dir, 'when'), 'utf8')).to.equal('2024-01-02T03:04:05.123456Z');
      expect(
        (await readFile(path.join(dir, 'blob'))).equals(
          Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
        ),
      ).to.equal(true);
    });

    it('refuses object and structured arrays packed by Python, naming where they are', async () => {
      const script = `
import sys, json, msgpack, msgpack_numpy, numpy as np
base = {'text': 'ok', 'count': 1, 'x': 0.5, 'ratio': 0.5, 'flag': True, 'when': '2024-01-02T03:04:05Z', 'blob': b''}
obj = dict(base, arrays=[np.zeros(2), np.array([1, 'a'], dtype=object)])
rec = dict(base, arr=np.array([(1, 2.0)], dtype=[('a', '<i4'), ('b', '<f8')]))
print(json.dumps([msgpack.packb(d, default=msgpack_numpy.encode).hex() for d in (obj, rec)]))`;
      const [obj, rec] = JSON.parse((await python(script)).toString()) as [string, string];
      expect(
        await problemsOf(() => decodeTreeMsgpack(DEF.inputs, Buffer.from(obj, 'hex'), fresh())),
      ).to.deep.equal([['BERTH_E_WIRE_UNSAFE', '/arrays/1']]);
      expect(
        await problemsOf(() => decodeTreeMsgpack(DEF.inputs, Buffer.from(rec, 'hex'), fresh())),
      ).to.deep.equal([['BERTH_E_WIRE_UNSAFE', '/arr']]);
    });
  });
});
