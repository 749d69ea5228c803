/**
 * The bounds of decoding a document into a tree (src/wire/case-decode.ts): entries per document
 * and per array, and the limits shared with the tree's own check — text size, dimensions, .npy
 * headers — so that the decoder never writes a tree its check refuses; strings held to one rule
 * whatever their length.
 */
import { expect } from 'chai';
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { checkTree } from '../../src/check/tree.js';
import { MAX_NDIM, ndarray } from '../../src/ndarray/ndarray.js';
import { encodeNpyHeader, MAX_HEADER_BYTES, readNpyHeader } from '../../src/ndarray/npy.js';
import { MAX_TEXT_BYTES } from '../../src/tree/read-text.js';
import {
  DEFAULT_MAX_ARRAY_ITEMS,
  DEFAULT_MAX_ENTRIES,
  decodeTree,
  decodeTreeJson,
  decodeTreeMsgpack,
  encodeTree,
} from '../../src/wire/case.js';
import { encodeNdarrayJson } from '../../src/wire/ndarray-json.js';
import { encodeNdarrayMsgpack, packForPython } from '../../src/wire/ndarray-msgpack.js';
import { codeOfAsync } from '../support/codes.js';
import { definitionOf, freshPaths, listFiles, problemsOf } from '../support/wire-case.js';

const DEF = definitionOf(`
metadata-version: 2
info: {name: wire-limits}
schema-in:
  note: {type: string, nullable: true}
  arr: {type: ndarray, nullable: true}
  rows:
    type: array
    nullable: true
    items: {type: object, properties: {a: {type: integer}, b: {type: string}}}
schema-out:
  ok: {type: boolean}
`);

describe('wire/case: limits of decoding and encoding', () => {
  const fresh = freshPaths('wire-limits');

  describe('entries a document creates', () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ a: i, b: 'x' }));

    it('refuses a list longer than maxArrayItems before walking it, in both formats, writing nothing', async () => {
      const dir = fresh();
      const doc = { rows: rows(DEFAULT_MAX_ARRAY_ITEMS + 1) };
      expect(await problemsOf(() => decodeTreeMsgpack(DEF.inputs, packForPython(doc), dir))).to.deep.equal([
        ['BERTH_E_TOO_MANY_ENTRIES', '/rows'],
      ]);
      expect(await listFiles(dir)).to.deep.equal([]);
      expect(
        await problemsOf(() =>
          decodeTreeJson(DEF.inputs, { rows: rows(11) }, fresh(), { maxArrayItems: 10 }),
        ),
      ).to.deep.equal([['BERTH_E_TOO_MANY_ENTRIES', '/rows']]);
    });

    it('refuses a document creating more than maxEntries entries, at the entry past the limit', async () => {
      // 5 rows: 1 (rows) + 5 items + 10 members = 16 entries.
      expect(
        await problemsOf(() => decodeTreeJson(DEF.inputs, { rows: rows(5) }, fresh(), { maxEntries: 15 })),
      ).to.deep.equal([['BERTH_E_TOO_MANY_ENTRIES', '/rows/4/b']]);
      const dir = fresh();
      await decodeTreeJson(DEF.inputs, { rows: rows(5) }, dir, { maxEntries: 16 });
      expect(await listFiles(dir)).to.have.length(10);
      expect(DEFAULT_MAX_ENTRIES).to.equal(100_000);
    });

    it('stops 200 KB of msgpack from making 200k folders (the default limits)', async () => {
      // 40,000 empty-ish rows in ~200 KB: within the per-array limit only when raised; the document limit holds.
      const doc = packForPython({ rows: rows(40_000) });
      expect(doc.byteLength).to.be.below(400_000);
      const dir = fresh();
      const problems = await problemsOf(() =>
        decodeTreeMsgpack(DEF.inputs, doc, dir, { maxArrayItems: 1_000_000 }),
      );
      expect(problems).to.have.length(1);
      expect(problems[0]![0]).to.equal('BERTH_E_TOO_MANY_ENTRIES');
      expect(await listFiles(dir)).to.deep.equal([]);
    });
  });

  describe('limits shared with the tree check', () => {
    it(`refuses text over ${MAX_TEXT_BYTES} bytes (what the readers read) in both formats, at its pointer`, async () => {
      const big = 'é'.repeat(MAX_TEXT_BYTES / 2 + 1);
      expect(await problemsOf(() => decodeTreeJson(DEF.inputs, { note: big }, fresh()))).to.deep.equal([
        ['BERTH_E_VALUE_TOO_LARGE', '/note'],
      ]);
      expect(
        await problemsOf(() => decodeTreeMsgpack(DEF.inputs, packForPython({ note: big }), fresh())),
      ).to.deep.equal([['BERTH_E_VALUE_TOO_LARGE', '/note']]);
      const dir = fresh();
      await decodeTreeJson(DEF.inputs, { note: 'a'.repeat(MAX_TEXT_BYTES) }, dir);
      expect(await checkTree(DEF, 'in', dir)).to.deep.equal([]);
    });

    it(`refuses arrays of more than ${MAX_NDIM} dimensions in the decoders, the check and the writer alike`, async () => {
      const shape = Array<number>(MAX_NDIM + 1).fill(1);
      const wide = { data: new Uint8Array(1), dtype: 'uint8', shape } as unknown as ReturnType<
        typeof ndarray
      >;
      expect(
        await problemsOf(() =>
          decodeTreeJson(DEF.inputs, { arr: { data_b64: 'AA==', shape, dtype: 'uint8' } }, fresh()),
        ),
      ).to.deep.equal([['BERTH_E_WIRE_NDARRAY', '/arr']]);
      const map = encodeNdarrayMsgpack(ndarray('uint8', [1]));
      map.set([...map.keys()][3]!, shape);
      expect(
        await problemsOf(() => decodeTreeMsgpack(DEF.inputs, packForPython({ arr: map }), fresh())),
      ).to.deep.equal([['BERTH_E_WIRE_NDARRAY', '/arr']]);
      expect(() => encodeNpyHeader(wide)).to.throw(/33 dimensions/);
      // A file another tool wrote with 33 dimensions: the check refuses it too.
      const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
      const pad = 64 - ((10 + dict.length + 1) % 64);
      const file = Buffer.concat([
        Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]),
        Buffer.from(Uint16Array.of(dict.length + pad + 1).buffer),
        Buffer.from(dict + ' '.repeat(pad) + '\n', 'latin1'),
        Buffer.of(7),
      ]);
      const npy = path.join(fresh() + '.npy');
      await writeFile(npy, file);
      expect(await codeOfAsync(readNpyHeader(npy))).to.equal('BERTH_E_NPY_SHAPE');
      // The largest header berth can write stays far below the header limit the readers apply.
      const largest = {
        dtype: 'uint8',
        shape: [0, ...Array<number>(MAX_NDIM - 1).fill(Number.MAX_SAFE_INTEGER)],
        data: new Uint8Array(0),
      } as unknown as ReturnType<typeof ndarray>;
      expect(encodeNpyHeader(largest).byteLength).to.be.below(MAX_HEADER_BYTES / 100);
    });
  });

  describe('encoding an output tree', () => {
    it('refuses a 4 GiB sparse .npy by its header before reading it (no 4 GiB in memory)', async () => {
      const dir = fresh();
      await mkdir(dir);
      const dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296,), }";
      const pad = 64 - ((10 + dict.length + 1) % 64);
      const header = Buffer.concat([
        Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]),
        Buffer.from(Uint16Array.of(dict.length + pad + 1).buffer),
        Buffer.from(dict + ' '.repeat(pad) + '\n', 'latin1'),
      ]);
      const file = path.join(dir, 'arr');
      await writeFile(file, header);
      await truncate(file, header.byteLength + 2 ** 32);
      const before = process.memoryUsage().arrayBuffers;
      for (const format of ['json', 'msgpack'] as const) {
        const t0 = performance.now();
        expect(await codeOfAsync(encodeTree(format, DEF.inputs, dir, { maxBytes: 1 << 20 }))).to.equal(
          'BERTH_E_TOO_LARGE',
        );
        expect(performance.now() - t0).to.be.below(1000);
      }
      expect(process.memoryUsage().arrayBuffers - before).to.be.below(64 << 20);
      // An array within the limit is still encoded.
      const ok = fresh();
      await decodeTreeJson(DEF.inputs, { arr: encodeNdarrayJson(ndarray('uint8', [3], [1, 2, 3])) }, ok);
      const doc = JSON.parse((await encodeTree('json', DEF.inputs, ok, { maxBytes: 1 << 20 })).toString());
      expect(doc).to.deep.equal({ arr: encodeNdarrayJson(ndarray('uint8', [3], [1, 2, 3])) });
    });
  });

  describe('strings: one rule whatever their length', () => {
    const body = (note: Buffer, extra = ''): Buffer =>
      Buffer.concat([Buffer.from(`{${extra}"note":"`), note, Buffer.from('"}')]);

    it('invalid UTF-8 and raw control characters refuse the document (path "") at 10 bytes as at 10 KB', async () => {
      for (const n of [10, 10_000]) {
        for (const [fill, code] of [
          [0xff, 'BERTH_E_NOT_UTF8'],
          [0x0a, 'BERTH_E_JSON_SYNTAX'],
        ] as const) {
          const bad = Buffer.alloc(n, 0x61);
          bad[n >> 1] = fill;
          expect(
            await problemsOf(() => decodeTree('json', DEF.inputs, body(bad), fresh())),
            `${n} ${fill}`,
          ).to.deep.equal([[code, '']]);
        }
      }
      // Even where no value is read: an extra key of an ndarray's JSON form.
      const arr = JSON.stringify(encodeNdarrayJson(ndarray('uint8', [1]))).slice(0, -1);
      const junk = Buffer.concat([
        Buffer.from(`{"arr":${arr},"junk":"`),
        Buffer.alloc(5000, 0xfe),
        Buffer.from('"}}'),
      ]);
      expect(await problemsOf(() => decodeTree('json', DEF.inputs, junk, fresh()))).to.deep.equal([
        ['BERTH_E_NOT_UTF8', ''],
      ]);
    });

    it('a lone surrogate (escaped in JSON) is refused at its pointer at any length', async () => {
      for (const n of [1, 5000]) {
        const text = Buffer.from(`{"note":"${'a'.repeat(n)}\\ud800"}`);
        expect(await problemsOf(() => decodeTree('json', DEF.inputs, text, fresh()))).to.deep.equal([
          ['BERTH_E_VALUE_TYPE', '/note'],
        ]);
      }
      const dir = fresh();
      await decodeTree('json', DEF.inputs, Buffer.from('{"note":"\\ud83d\\ude00"}'), dir);
      expect(await readFile(path.join(dir, 'note'), 'utf8')).to.equal('😀');
    });
  });
});
