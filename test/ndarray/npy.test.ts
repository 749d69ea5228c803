import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../../src/errors.js';
import { DTYPES } from '../../src/ndarray/dtype.js';
import { asBytes, fromBytes, ndarray, sameNdArray } from '../../src/ndarray/ndarray.js';
import type { NdArray } from '../../src/ndarray/ndarray.js';
import {
  decodeNpy,
  encodeNpy,
  encodeNpyHeader,
  parseNpyHeader,
  readNpy,
  readNpyHeader,
  writeNpy,
} from '../../src/ndarray/npy.js';
import { allSamples, arbNdArray, sampleArray } from '../support/ndarray-samples.js';
import { requirePeer } from '../support/peers.js';
import { PYTHON_NUMPY_PEER, python } from '../support/python.js';
import { codeOf, codeOfAsync } from '../support/codes.js';

/** A .npy file with a hand-written header (padded to `align`), for tolerance and refusal tests. */
function makeNpy(
  header: string,
  data: Uint8Array = new Uint8Array(0),
  opts: { major?: number; align?: number } = {},
): Buffer {
  const major = opts.major ?? 1;
  const pre = major === 1 ? 10 : 12;
  const align = opts.align ?? 64;
  const raw = Buffer.from(header, major === 3 ? 'utf8' : 'latin1');
  const total = Math.ceil((pre + raw.length + 1) / align) * align;
  const out = Buffer.alloc(total + data.byteLength, 0x20);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]).copy(out, 0);
  if (major === 1) out.writeUInt16LE(total - pre, 8);
  else out.writeUInt32LE(total - pre, 8);
  raw.copy(out, pre);
  out[total - 1] = 0x0a;
  out.set(data, total);
  return out;
}

describe('ndarray/npy', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-npy-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips every dtype and shape through files and memory', async () => {
    for (const { name, arr } of allSamples()) {
      const p = join(dir, `${name}.npy`);
      await writeNpy(p, arr);
      const back = await readNpy(p);
      expect(sameNdArray(back, arr), name).to.equal(true);
      expect(sameNdArray(decodeNpy(encodeNpy(arr)), arr), name).to.equal(true);
      const h = await readNpyHeader(p);
      expect(h).to.include({ dtype: arr.dtype, fortranOrder: false, byteOrder: 'little' });
      expect(h.shape).to.deep.equal(arr.shape);
      expect(h.dataOffset % 64).to.equal(0);
      expect(h.dataLength).to.equal(arr.data.byteLength);
    }
    expect((await readdir(dir)).filter((n) => n.startsWith('.berth-tmp-'))).to.deep.equal([]);
  });

  it('round-trips random arrays (property)', () => {
    fc.assert(
      fc.property(arbNdArray, (arr) => {
        const file = encodeNpy(arr);
        const back = decodeNpy(file);
        return sameNdArray(back, arr) && (file.byteLength - arr.data.byteLength) % 64 === 0;
      }),
      { numRuns: 300 },
    );
  });

  it('reads into aligned memory whatever the header length', async () => {
    const data = new Uint8Array(new Float64Array([1.5, -2]).buffer);
    const file = makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data, { align: 1 });
    expect((file.byteLength - 16) % 8).to.not.equal(0);
    const p = join(dir, 'odd.npy');
    await writeFile(p, file);
    const a = await readNpy(p);
    expect(Array.from(a.data as Float64Array)).to.deep.equal([1.5, -2]);
    expect(a.data.byteOffset).to.equal(0);
    expect(Array.from(decodeNpy(file).data as Float64Array)).to.deep.equal([1.5, -2]);
  });

  it('tolerates the header variations Python literals allow', () => {
    const d = new Uint8Array(new Int32Array([7, 8, 9]).buffer);
    const headers = [
      "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }",
      '{"descr": "<i4", "fortran_order": False, "shape": (3,)}',
      "{ 'shape' : ( 3 , ) ,'fortran_order':False,'descr':'<i4' , }",
      "{u'descr': u'<i4', 'fortran_order': False, 'shape': (3L,), }",
      "{'descr': '<\\x69\\u0034', 'fortran_order': False, 'shape': [3], }",
      "\t{'descr': 'int32',\n 'fortran_order': False, 'shape': (3,)}",
    ];
    for (const h of headers) {
      const a = decodeNpy(makeNpy(h, d));
      expect([a.dtype, a.shape, Array.from(a.data as Int32Array)], h).to.deep.equal([
        'int32',
        [3],
        [7, 8, 9],
      ]);
    }
    const scalar = decodeNpy(
      makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", new Uint8Array(8)),
    );
    expect(scalar.shape).to.deep.equal([]);
    const v3 = decodeNpy(
      makeNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), } ", d, { major: 3 }),
    );
    expect(v3.shape).to.deep.equal([3]);
  });

  it('reads big-endian and Fortran-order files into native C order', () => {
    const be = Buffer.from([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6]);
    const a = decodeNpy(makeNpy("{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }", be));
    // Fortran order lists a[0,0], a[1,0], a[0,1], ...: so a = [[1,3,5],[2,4,6]].
    expect(Array.from(a.data as Int32Array)).to.deep.equal([1, 3, 5, 2, 4, 6]);
  });

  it('writes version 1.0 (at most 32 dimensions always fit it) and reads 2.0', () => {
    expect(encodeNpyHeader(ndarray('uint8', [2, 3]))[6]).to.equal(1);
    const shape = new Array<number>(23000).fill(1);
    expect(() => fromBytes('uint8', shape, Uint8Array.of(5))).to.throw(/23000 dimensions/);
    const v2 = decodeNpy(
      makeNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1), }", Uint8Array.of(5), { major: 2 }),
    );
    expect(v2.shape).to.deep.equal([1, 1]);
  });

  describe('refusals', () => {
    const good = "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }";
    const data = Uint8Array.of(1, 0, 2, 0);
    const cases: [string, () => Uint8Array, string, RegExp?][] = [
      ['bad magic', () => Buffer.from('\x93NUMPX\x01\x00', 'latin1'), 'BERTH_E_NPY_FORMAT', /magic/],
      ['not npy at all', () => Buffer.from('hello world, not an array'), 'BERTH_E_NPY_FORMAT', /magic/],
      ['empty file', () => new Uint8Array(0), 'BERTH_E_NPY_FORMAT'],
      ['truncated preamble', () => makeNpy(good, data).subarray(0, 8), 'BERTH_E_NPY_FORMAT', /truncated/],
      ['truncated header', () => makeNpy(good, data).subarray(0, 40), 'BERTH_E_NPY_FORMAT', /truncated/],
      ['version 4.0', () => makeNpy(good, data, { major: 4 }), 'BERTH_E_NPY_FORMAT', /version/],
      [
        'truncated data',
        () => makeNpy(good, data).subarray(0, makeNpy(good).byteLength + 3),
        'BERTH_E_NPY_SHAPE',
        /truncated/,
      ],
      [
        'extra data',
        () => makeNpy(good, Uint8Array.of(1, 0, 2, 0, 3, 0)),
        'BERTH_E_NPY_SHAPE',
        /beyond its shape.*2 extra/,
      ],
      [
        'dict not closed',
        () => makeNpy("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), ", data),
        'BERTH_E_NPY_FORMAT',
      ],
      ['not a dict', () => makeNpy("['descr', '<i2']", data), 'BERTH_E_NPY_FORMAT'],
      [
        'code in header',
        () => makeNpy("{'descr': __import__('os'), 'fortran_order': False, 'shape': (2,)}", data),
        'BERTH_E_NPY_FORMAT',
      ],
      ['missing key', () => makeNpy("{'descr': '<i2', 'shape': (2,)}", data), 'BERTH_E_NPY_FORMAT', /keys/],
      [
        'extra key',
        () => makeNpy("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), 'x': 1}", data),
        'BERTH_E_NPY_FORMAT',
        /keys/,
      ],
      [
        'duplicate key',
        () => makeNpy("{'descr': '<i2', 'descr': '<i2', 'fortran_order': False, 'shape': (2,)}", data),
        'BERTH_E_NPY_FORMAT',
      ],
      [
        'unterminated string',
        () => makeNpy("{'descr: '<i2', 'fortran_order': False, 'shape': (2,)}", data),
        'BERTH_E_NPY_FORMAT',
      ],
      [
        'fortran_order not bool',
        () => makeNpy("{'descr': '<i2', 'fortran_order': 0, 'shape': (2,)}", data),
        'BERTH_E_NPY_FORMAT',
      ],
      [
        'shape not a tuple',
        () => makeNpy("{'descr': '<i2', 'fortran_order': False, 'shape': 2}", data),
        'BERTH_E_NPY_FORMAT',
      ],
      [
        'negative dimension',
        () => makeNpy("{'descr': '<i2', 'fortran_order': False, 'shape': (-2,)}", data),
        'BERTH_E_NPY_SHAPE',
      ],
      [
        'float dimension',
        () => makeNpy("{'descr': '<i2', 'fortran_order': False, 'shape': (2.0,)}", data),
        'BERTH_E_NPY_FORMAT',
      ],
      [
        'deep nesting',
        () => makeNpy(`{'descr': ${'('.repeat(100)}${')'.repeat(100)}}`, data),
        'BERTH_E_NPY_FORMAT',
        /deep/,
      ],
      [
        'object dtype',
        () => makeNpy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16)),
        'BERTH_E_NPY_DTYPE',
      ],
      [
        'structured dtype',
        () =>
          makeNpy(
            "{'descr': [('a', '<i4'), ('b', '<f8')], 'fortran_order': False, 'shape': (1,), }",
            new Uint8Array(12),
          ),
        'BERTH_E_NPY_DTYPE',
      ],
      [
        'unicode dtype',
        () => makeNpy("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(12)),
        'BERTH_E_NPY_DTYPE',
      ],
      [
        'datetime dtype',
        () => makeNpy("{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)),
        'BERTH_E_NPY_DTYPE',
      ],
      [
        'long double',
        () => makeNpy("{'descr': '<f16', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(16)),
        'BERTH_E_NPY_DTYPE',
      ],
      [
        'bad utf-8 in 3.0',
        () =>
          makeNpy("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), } \xff", data, { major: 1 }).fill(
            3,
            6,
            7,
          ),
        'BERTH_E_NPY_FORMAT',
      ],
    ];
    for (const [name, make, code, message] of cases) {
      it(`refuses ${name} with ${code}, naming the path`, async () => {
        const bytes = make();
        const p = join(dir, `bad-${name.replace(/\W+/g, '-')}.npy`);
        await writeFile(p, bytes);
        for (const attempt of [() => readNpy(p), async () => decodeNpy(bytes, { path: p })]) {
          try {
            await attempt();
            expect.fail('no error');
          } catch (e) {
            expect(isBerthError(e), String(e)).to.equal(true);
            if (!isBerthError(e)) return;
            expect(e.code, e.message).to.equal(code);
            expect(e.path).to.equal(p);
            expect(e.message).to.include(p);
            if (message) expect(e.message).to.match(message);
          }
        }
        if (!/data/.test(name)) expect(await codeOfAsync(readNpyHeader(p))).to.equal(code);
      });
    }

    it('refuses a missing file with BERTH_E_NOT_FOUND', async () => {
      expect(await codeOfAsync(readNpy(join(dir, 'missing.npy')))).to.equal('BERTH_E_NOT_FOUND');
    });

    it('checks the size in readNpyHeader without reading the data', async () => {
      const p = join(dir, 'short.npy');
      const cut = makeNpy(good).byteLength + 2;
      await writeFile(p, makeNpy(good, data).subarray(0, cut));
      expect(await codeOfAsync(readNpyHeader(p))).to.equal('BERTH_E_NPY_SHAPE');
      expect(codeOf(() => parseNpyHeader(makeNpy(good, data).subarray(0, cut)))).to.equal(undefined);
    });
  });

  describe('interop with numpy', function () {
    this.timeout(60_000);
    before(async function () {
      await requirePeer(this, PYTHON_NUMPY_PEER);
    });

    it('writes headers byte-identical to np.save', async () => {
      const arrs = [
        sampleArray('float32', [3]),
        sampleArray('float64', []),
        sampleArray('int16', [2, 3, 4]),
        sampleArray('bool', [0]),
        sampleArray('complex128', [12345, 0]),
      ];
      const script = `
import sys, io, json, numpy as np
out = []
for dt, shape in json.load(sys.stdin):
    b = io.BytesIO(); np.save(b, np.zeros(shape, dtype=dt)); v = b.getvalue()
    out.append(v[:len(v) - np.zeros(shape, dtype=dt).nbytes].hex())
print(json.dumps(out))`;
      const out = await python(script, {
        input: Buffer.from(JSON.stringify(arrs.map((a) => [a.dtype, a.shape]))),
      });
      const want = JSON.parse(out.toString()) as string[];
      arrs.forEach((a, i) =>
        expect(Buffer.from(encodeNpyHeader(a)).toString('hex'), a.dtype).to.equal(want[i]),
      );
    });

    it('writes files np.load reads identically', async () => {
      const samples = allSamples();
      for (const { name, arr } of samples) await writeNpy(join(dir, `py-${name}.npy`), arr);
      const script = `
import sys, json, numpy as np
res = {}
for name in json.load(sys.stdin):
    a = np.load(sys.argv[1] + '/py-' + name + '.npy', allow_pickle=False)
    res[name] = [str(a.dtype), list(a.shape), a.tobytes().hex()]
print(json.dumps(res))`;
      const out = await python(script, {
        args: [dir],
        input: Buffer.from(JSON.stringify(samples.map((s) => s.name))),
      });
      const res = JSON.parse(out.toString()) as Record<string, [string, number[], string]>;
      for (const { name, arr } of samples) {
        expect(res[name], name).to.deep.equal([
          arr.dtype,
          arr.shape,
          Buffer.from(asBytes(arr)).toString('hex'),
        ]);
      }
    });

    it('reads what numpy writes: big endian, Fortran order, v2, v3, 0-d, slices, every dtype', async () => {
      const script = `
import sys, json, numpy as np
from numpy.lib import format as fmt
d = sys.argv[1]
cases = {}
def save(name, a, version=None):
    with open(d + '/np-' + name + '.npy', 'wb') as f:
        if version is None: np.save(f, a)
        else: fmt.write_array(f, a, version=version)
    c = a.copy(order='C')
    c = c.astype(c.dtype.newbyteorder('<'))
    cases[name] = [c.dtype.name, list(c.shape), c.tobytes().hex()]
rng = np.random.default_rng(7)
for dt in ['bool','int8','int16','int32','int64','uint8','uint16','uint32','uint64','float16','float32','float64','complex64','complex128']:
    raw = rng.integers(0, 256, size=6 * np.dtype(dt).itemsize, dtype=np.uint8)
    a = raw.view(dt) if dt != 'bool' else (raw[:6] & 1).astype(bool)
    a = a.reshape(2, 3)
    save(dt, a)
    save(dt + '_be', a.astype(a.dtype.newbyteorder('>')))
    save(dt + '_fortran', np.asfortranarray(a))
    save(dt + '_fortran_be', np.asfortranarray(a.astype(a.dtype.newbyteorder('>'))))
save('f3d_fortran', np.asfortranarray(np.arange(60, dtype='<f4').reshape(3, 4, 5)))
save('be_i4', np.array([1, 2, 3], dtype='>i4'))
save('v2', np.arange(10, dtype='<u2'), version=(2, 0))
save('v3', np.arange(10, dtype='<i8').reshape(2, 5), version=(3, 0))
save('scalar', np.array(3.25))
save('scalar_be', np.array(7, dtype='>i2'))
save('empty', np.zeros((0, 3), dtype='<f8'))
save('slice', np.arange(100, dtype='<i4').reshape(10, 10)[::3, 1::2])
save('transposed', np.arange(12, dtype='<i2').reshape(3, 4).T)
print(json.dumps(cases))`;
      const out = await python(script, { args: [dir] });
      const cases = JSON.parse(out.toString()) as Record<string, [string, number[], string]>;
      expect(Object.keys(cases).length).to.be.greaterThan(60);
      for (const [name, want] of Object.entries(cases)) {
        const p = join(dir, `np-${name}.npy`);
        const a: NdArray = await readNpy(p);
        expect([a.dtype, a.shape, Buffer.from(asBytes(a)).toString('hex')], name).to.deep.equal(want);
        const m = decodeNpy(await readFile(p));
        expect(sameNdArray(m, a), name).to.equal(true);
        const h = await readNpyHeader(p);
        expect(h.dtype, name).to.equal(want[0]);
        if (name.endsWith('_be') && DTYPES[a.dtype].itemSize > 1) expect(h.byteOrder, name).to.equal('big');
        if (name === 'v2' || name === 'v3') expect(h.version[0]).to.equal(Number(name[1]));
      }
    });
  });
});
