/**
 * Whole trees as JSON documents: round trips through the schema for every kind, the document's
 * exact shape, refusals with codes and JSON pointers, and interop with Python (numpy + base64, as
 * Chains' NumpyArrayField reads and writes it). The single-array JSON form itself (incl. the
 * docstring example) is covered by test/wire/ndarray-json.test.ts.
 */
import { expect } from 'chai';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PNG } from 'pngjs';
import { checkTree } from '../../src/check/tree.js';
import { synthTree } from '../../src/harness/synth-tree.js';
import { asBytes, ndarray, type NdArray } from '../../src/ndarray/ndarray.js';
import { readObject } from '../../src/sdk/read-value.js';
import { writeValue } from '../../src/sdk/write-value.js';
import { safeJoin } from '../../src/tree/safe-path.js';
import { base64ByteLength, decodeBase64, encodeBase64 } from '../../src/wire/base64.js';
import {
  WireDecodeError,
  decodeTree,
  decodeTreeJson,
  encodeTree,
  encodeTreeJson,
  parseJsonDocument,
  pointerTo,
  sniffWireFormat,
  wireFormatOfPath,
} from '../../src/wire/case.js';
import { parseJsonLazily } from '../../src/wire/json-slices.js';
import { encodeNdarrayJson } from '../../src/wire/ndarray-json.js';
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

/** A 1×1 PNG. */
const PNG_BYTES = PNG.sync.write(new PNG({ width: 1, height: 1 }));

const SMALL = definitionOf(`
metadata-version: 2
info: {name: wire-json}
schema-in:
  name: {type: string, maxLength: 10}
  count: {type: integer, minimum: 0}
  big: {type: integer, nullable: true}
  ratio: {type: percentage, maximum: 100}
  flag: {type: boolean}
  mode: {enum: [fast, slow]}
  when: {type: date-time}
  photo: {mime-type: image/png}
  blob: {mime-type: application/octet-stream, nullable: true}
  volume: {type: ndarray, dtype: float32, shape: [null, 2]}
  measurements:
    type: array
    maxItems: 3
    items:
      type: object
      properties:
        slice: {type: integer}
        area-mm2: {type: number, minimum: 0}
  note: {type: string, nullable: true}
schema-out:
  ok: {type: boolean}
`);

function goodDoc(): Record<string, unknown> {
  return {
    name: 'case 1',
    count: 3,
    big: 2 ** 40,
    ratio: 0.855,
    flag: true,
    mode: 'fast',
    when: '2024-01-02T03:04:05.123456+02:00',
    photo: PNG_BYTES.toString('base64'),
    blob: Buffer.from([0, 1, 2, 255]).toString('base64'),
    volume: encodeNdarrayJson(ndarray('float32', [3, 2], [1, 2, 3, 4.5, -1, 0.25])),
    measurements: [
      { slice: 0, 'area-mm2': 2.5 },
      { slice: 7, 'area-mm2': 0 },
    ],
  };
}

describe('wire/case: trees as JSON documents', () => {
  const fresh = freshPaths('wire-json');

  describe('round trips tree → document → tree', () => {
    itRoundTripsEveryTree(11, fresh, async ({ def, side, props, src, dst }) => {
      const doc = await encodeTreeJson(props, src);
      // Through text, as it travels.
      const text = JSON.stringify(doc);
      await decodeTreeJson(props, JSON.parse(text), dst);
      await expectSameTree(src, dst);
      expect(await checkTree(def, side, dst)).to.deep.equal([]);
      // And the document of the copy is the same document.
      expect(JSON.stringify(await encodeTreeJson(props, dst))).to.equal(text);
      // The byte paths (the serializer and the sliced parser) agree with the value paths.
      const bytes = await encodeTree('json', props, src);
      expect(bytes.toString('utf8')).to.equal(text);
      const viaBytes = fresh();
      await decodeTree('json', props, bytes, viaBytes);
      await expectSameTree(src, viaBytes);
    });

    it('round trips a document → tree → the same document, byte for byte', async () => {
      const dir = fresh();
      const doc = goodDoc();
      await decodeTreeJson(SMALL.inputs, doc, dir);
      expect(await readFile(path.join(dir, 'ratio'), 'utf8')).to.equal('85.5%');
      expect(await readFile(path.join(dir, 'when'), 'utf8')).to.equal('2024-01-02T03:04:05.123456+02:00');
      expect(await readFile(path.join(dir, 'flag'), 'utf8')).to.equal('True');
      expect(await readFile(path.join(dir, 'big'), 'utf8')).to.equal(String(2 ** 40));
      expect(await readFile(path.join(dir, 'measurements', '1', 'area-mm2'), 'utf8')).to.equal('0');
      expect((await readFile(path.join(dir, 'photo'))).equals(PNG_BYTES)).to.equal(true);
      expect(await listFiles(dir)).to.not.include('note');
      expect(JSON.stringify(await encodeTreeJson(SMALL.inputs, dir))).to.equal(JSON.stringify(doc));
      const bytes = await encodeTree('json', SMALL.inputs, dir);
      expect(JSON.parse(bytes.toString('utf8'))).to.deep.equal(doc);
    });
  });

  describe('the document', () => {
    it('has primitives as JSON values, files as base64, arrays as NumpyArrayField, DICOM as base64 lists', async () => {
      const def = await machine(EVERY_KIND);
      const src = fresh();
      await synthTree(def, 'in', src, { seed: 2 });
      const doc = await encodeTreeJson(def.inputs, src);
      const values = await readObject(def.inputs, src, { realRoot: src });
      expect(Object.keys(doc)).to.deep.equal(def.inputs.map((p) => p.name));
      expect(doc['threshold']).to.be.a('number').and.equal(values['threshold']);
      expect(doc['flag']).to.be.a('boolean');
      expect(doc['ratio']).to.equal(values['ratio']);
      expect(doc['ratio']).to.be.a('number').and.at.most(10);
      expect(doc['when']).to.equal(await readFile(path.join(src, 'when'), 'utf8'));
      expect(
        Buffer.from(doc['photo'] as string, 'base64').equals(await readFile(path.join(src, 'photo'))),
      ).to.equal(true);
      const volume = doc['volume'] as Record<string, unknown>;
      expect(Object.keys(volume)).to.deep.equal(['data_b64', 'shape', 'dtype']);
      expect(volume['dtype']).to.equal('float32');
      expect(doc['params']).to.deep.include({ a: (values['params'] as Record<string, unknown>)['a'] });
      expect(doc['survival']).to.have.keys(['event', 'time']);
      expect(doc['list']).to.be.an('array');
      // A series: its instances in geometric order, each the file's bytes.
      const ct = doc['ct'] as string[];
      const files = (await readdir(path.join(src, 'ct'))).length;
      expect(ct).to.have.length(files);
      for (const b64 of ct) expect(decodeBase64(b64).subarray(128, 132).toString('latin1')).to.equal('DICM');
      // A study: a flat list of its instances, series after series.
      const study = doc['study'] as string[];
      expect(study).to.have.length((await listFiles(path.join(src, 'study'))).length);
      expect(typeof doc['image']).to.equal('string');
    });

    it('writes a date-time read without a zone with Z (UTC, as it was read)', async () => {
      const def = definitionOf(`
metadata-version: 2
info: {name: t}
schema-in: {when: {type: date-time}}
schema-out: {x: {type: boolean}}
`);
      const dir = fresh();
      await mkdir(dir);
      await writeFile(path.join(dir, 'when'), '2020-01-02T03:04:05.5\n');
      expect(await encodeTreeJson(def.inputs, dir)).to.deep.equal({ when: '2020-01-02T03:04:05.5Z' });
    });

    it('escapes JSON pointers (RFC 6901)', () => {
      expect(pointerTo('', 'a/b~c')).to.equal('/a~1b~0c');
      expect(pointerTo('/x', 3)).to.equal('/x/3');
    });

    it('tells formats by extension and first byte', () => {
      expect(wireFormatOfPath('case.JSON')).to.equal('json');
      expect(wireFormatOfPath('case.msgpack')).to.equal('msgpack');
      expect(wireFormatOfPath('case.txt')).to.equal(undefined);
      expect(sniffWireFormat(Buffer.from('\ufeff  {"a":1}'))).to.equal('json');
      expect(sniffWireFormat(Uint8Array.of(0x81, 0xa1, 0x61, 0x01))).to.equal('msgpack');
      expect(sniffWireFormat(Uint8Array.of(0xde, 0, 1))).to.equal('msgpack');
      expect(sniffWireFormat(Buffer.from('[1]'))).to.equal(undefined);
      expect(sniffWireFormat(new Uint8Array(0))).to.equal(undefined);
    });
  });

  describe('decoding accepts', () => {
    it('a percentage as "85%" text, null and absence for nullable properties', async () => {
      const dir = fresh();
      await decodeTreeJson(
        SMALL.inputs,
        { ...goodDoc(), ratio: '85%', big: null, blob: null, note: null },
        dir,
      );
      expect(await readFile(path.join(dir, 'ratio'), 'utf8')).to.equal('85%');
      expect(await readdir(dir)).to.not.include.members(['big', 'blob', 'note']);
    });

    it('a body as bytes with a BOM, or as text', async () => {
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(goodDoc()))]);
      await decodeTree('json', SMALL.inputs, body, fresh());
      await decodeTree('json', SMALL.inputs, JSON.stringify(goodDoc()), fresh());
    });

    it('long strings in bytes exactly as a full parse reads them (they are cut out before parsing)', async () => {
      const long = 'é☃ ' + 'x'.repeat(10_000);
      const escaped = 'a"b\\c\n'.repeat(1000);
      const blob = Buffer.alloc(9000, 0xab);
      const doc = { ...goodDoc(), name: 'n', note: long, blob: blob.toString('base64') };
      const def = definitionOf(`
metadata-version: 2
info: {name: t}
schema-in:
  note: {type: string}
  other: {type: string}
  blob: {mime-type: application/octet-stream}
  arr: {type: ndarray}
schema-out: {ok: {type: boolean}}
`);
      const arr = encodeNdarrayJson(ndarray('uint8', [5000]));
      const body = Buffer.from(
        JSON.stringify({ note: doc.note, other: escaped, blob: doc.blob, arr }, null, 2).replace(
          '"note":',
          '"note" :',
        ),
      );
      // note, blob and arr.data_b64 are cut out; other has escapes and stays.
      expect(parseJsonLazily(body).slices?.ranges).to.have.length(3);
      const dir = fresh();
      await decodeTree('json', def.inputs, body, dir);
      expect(await readFile(path.join(dir, 'note'), 'utf8')).to.equal(long);
      expect(await readFile(path.join(dir, 'other'), 'utf8')).to.equal(escaped);
      expect((await readFile(path.join(dir, 'blob'))).equals(blob)).to.equal(true);
      // A long key is never cut; a forged placeholder is just a string.
      const longKey = Buffer.from(
        JSON.stringify({ ['k'.repeat(5000)]: 1, note: '\u0000deadbeef:0', other: '', blob: '', arr }),
      );
      expect(await problemsOf(() => decodeTree('json', def.inputs, longKey, fresh()))).to.deep.equal([
        ['BERTH_E_UNDECLARED_PROPERTY', `/${'k'.repeat(5000)}`],
      ]);
      const forged = fresh();
      await decodeTree(
        'json',
        def.inputs,
        Buffer.from(JSON.stringify({ note: '\u0000deadbeef:0', other: '', blob: '', arr })),
        forged,
      );
      expect(await readFile(path.join(forged, 'note'), 'utf8')).to.equal('\u0000deadbeef:0');
      // Strings a full parse refuses are refused as a whole document at every length (not cut).
      const raw = (note: Buffer): Buffer =>
        Buffer.concat([
          Buffer.from('{"other":"","blob":"","arr":' + JSON.stringify(arr) + ',"note":"'),
          note,
          Buffer.from('"}'),
        ]);
      expect(
        await problemsOf(() => decodeTree('json', def.inputs, raw(Buffer.alloc(5000, 0xff)), fresh())),
      ).to.deep.equal([['BERTH_E_NOT_UTF8', '']]);
      expect(
        await problemsOf(() => decodeTree('json', def.inputs, raw(Buffer.alloc(5000, 0x0a)), fresh())),
      ).to.deep.equal([['BERTH_E_JSON_SYNTAX', '']]);
      const badBlob = Buffer.from(
        JSON.stringify({ note: '', other: '', blob: 'A'.repeat(4999) + '\u00e9', arr }).replace(
          '\\u00e9',
          'é',
        ),
      );
      expect(await problemsOf(() => decodeTree('json', def.inputs, badBlob, fresh()))).to.deep.equal([
        ['BERTH_E_WIRE_BASE64', '/blob'],
      ]);
    });
  });

  describe('refusals, with codes and JSON pointers', () => {
    const refused = async (doc: unknown, options = {}): Promise<[string, string | undefined][]> => {
      const dir = fresh();
      const problems = await problemsOf(() => decodeTreeJson(SMALL.inputs, doc, dir, options));
      // Nothing is written when a document is refused.
      expect(await listFiles(dir)).to.deep.equal([]);
      return problems;
    };

    it('collects every problem of a document, in document order', async () => {
      const doc = {
        ...goodDoc(),
        bogus: 1,
        'a/b~c': 2,
        count: 'three',
        flag: 'True',
        mode: 'medium',
        name: 'much too long a name',
        measurements: [
          { slice: 1, 'area-mm2': 1 },
          { slice: 2, 'area-mm2': 3, extra: true },
          { slice: 2.5, 'area-mm2': -1 },
        ],
      };
      delete (doc as Record<string, unknown>)['when'];
      expect(await refused(doc)).to.deep.equal([
        ['BERTH_E_UNDECLARED_PROPERTY', '/bogus'],
        ['BERTH_E_UNDECLARED_PROPERTY', '/a~1b~0c'],
        ['BERTH_E_VALUE_CONSTRAINT', '/name'],
        ['BERTH_E_VALUE_TYPE', '/count'],
        ['BERTH_E_VALUE_TYPE', '/flag'],
        ['BERTH_E_VALUE_ENUM', '/mode'],
        ['BERTH_E_WIRE_MISSING', '/when'],
        ['BERTH_E_UNDECLARED_PROPERTY', '/measurements/1/extra'],
        ['BERTH_E_VALUE_TYPE', '/measurements/2/slice'],
        ['BERTH_E_VALUE_CONSTRAINT', '/measurements/2/area-mm2'],
      ]);
    });

    it('names the property and what was expected', async () => {
      try {
        await decodeTreeJson(
          SMALL.inputs,
          { ...goodDoc(), measurements: [{ slice: 1, 'area-mm2': -2 }] },
          fresh(),
        );
        expect.fail('refused');
      } catch (e) {
        expect(e).to.be.instanceOf(WireDecodeError);
        const err = e as WireDecodeError;
        expect(err.code).to.equal('BERTH_E_VALUE_CONSTRAINT');
        expect(err.path).to.equal('/measurements/0/area-mm2');
        expect(err.property).to.equal('schema-in/measurements/[]/area-mm2');
        expect(err.expected).to.equal('≥ 0');
        expect(err.toFindings()[0]).to.include({
          code: 'BERTH_E_VALUE_CONSTRAINT',
          path: '/measurements/0/area-mm2',
        });
      }
    });

    it('refuses values the writers would refuse', async () => {
      const cases: [string, Record<string, unknown>, string, string][] = [
        ['integer beyond 2^53', { big: 2 ** 60 }, 'BERTH_E_INTEGER_UNSAFE', '/big'],
        ['fractional integer', { count: 1.5 }, 'BERTH_E_VALUE_TYPE', '/count'],
        ['percentage above maximum', { ratio: 1.5 }, 'BERTH_E_VALUE_CONSTRAINT', '/ratio'],
        ['percentage text without %', { ratio: '0.85' }, 'BERTH_E_VALUE_TEXT', '/ratio'],
        ['date-time without a zone', { when: '2024-01-02T03:04:05' }, 'BERTH_E_VALUE_TEXT', '/when'],
        ['not a date-time', { when: 'yesterday' }, 'BERTH_E_VALUE_TEXT', '/when'],
        ['lone surrogate', { name: '\ud800' }, 'BERTH_E_VALUE_TYPE', '/name'],
        [
          'file not a PNG',
          { photo: Buffer.from('GIF89a....').toString('base64') },
          'BERTH_E_MIME_MISMATCH',
          '/photo',
        ],
        ['file as a number', { photo: 5 }, 'BERTH_E_VALUE_TYPE', '/photo'],
        ['file as an object', { photo: { b64: 'AAAA' } }, 'BERTH_E_VALUE_TYPE', '/photo'],
        ['base64 with a newline', { blob: 'AAEC\n/w==' }, 'BERTH_E_WIRE_BASE64', '/blob'],
        ['base64 unpadded', { blob: 'AAEC/w' }, 'BERTH_E_WIRE_BASE64', '/blob'],
        ['base64 URL-safe', { blob: 'AAEC_w==' }, 'BERTH_E_WIRE_BASE64', '/blob'],
        ['base64 non-canonical bits', { blob: 'AAEC/x==' }, 'BERTH_E_WIRE_BASE64', '/blob'],
        [
          'ndarray of the wrong dtype',
          { volume: encodeNdarrayJson(ndarray('float64', [1, 2])) },
          'BERTH_E_NDARRAY_MISMATCH',
          '/volume',
        ],
        [
          'ndarray of the wrong shape',
          { volume: encodeNdarrayJson(ndarray('float32', [2, 3])) },
          'BERTH_E_NDARRAY_MISMATCH',
          '/volume',
        ],
        [
          'ndarray data shorter than its shape',
          { volume: { data_b64: 'AAAAAA==', shape: [1, 2], dtype: 'float32' } },
          'BERTH_E_WIRE_NDARRAY',
          '/volume',
        ],
        [
          'object ndarray',
          { volume: { data_b64: 'AAAAAAAAAAA=', shape: [1], dtype: 'object' } },
          'BERTH_E_WIRE_UNSAFE',
          '/volume',
        ],
        ['ndarray as a list', { volume: [[1, 2]] }, 'BERTH_E_WIRE_NDARRAY', '/volume'],
        [
          'too many items',
          {
            measurements: [
              { slice: 1, 'area-mm2': 1 },
              { slice: 1, 'area-mm2': 1 },
              { slice: 1, 'area-mm2': 1 },
              { slice: 1, 'area-mm2': 1 },
            ],
          },
          'BERTH_E_VALUE_CONSTRAINT',
          '/measurements',
        ],
        ['a null item', { measurements: [null] }, 'BERTH_E_VALUE_TYPE', '/measurements/0'],
        [
          'a list as an object',
          { measurements: { 0: { slice: 1, 'area-mm2': 1 } } },
          'BERTH_E_VALUE_TYPE',
          '/measurements',
        ],
        ['an object as a list', { measurements: [[1, 2]] }, 'BERTH_E_VALUE_TYPE', '/measurements/0'],
      ];
      for (const [name, change, code, at] of cases) {
        expect(await refused({ ...goodDoc(), ...change }), name).to.deep.equal([[code, at]]);
      }
    });

    it('refuses a document that is not an object, and stops after maxProblems', async () => {
      expect(await refused([1, 2])).to.deep.equal([['BERTH_E_VALUE_TYPE', '']]);
      expect(await refused('text')).to.deep.equal([['BERTH_E_VALUE_TYPE', '']]);
      const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`x${i}`, i]));
      const err = await decodeTreeJson(SMALL.inputs, { ...goodDoc(), ...many }, fresh(), {
        maxProblems: 5,
      }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(WireDecodeError);
      expect((err as WireDecodeError).problems).to.have.length(5);
      expect((err as WireDecodeError).message).to.match(/and 4\+ more problems/);
    });

    it('refuses nesting beyond maxDepth', async () => {
      expect(await refused(goodDoc(), { maxDepth: 2 })).to.deep.equal([
        ['BERTH_E_TOO_DEEP', '/measurements/0'],
        ['BERTH_E_TOO_DEEP', '/measurements/1'],
      ]);
    });

    it('refuses a directory that is not empty, and writes nothing into it', async () => {
      const dir = fresh();
      await mkdir(dir);
      await writeFile(path.join(dir, 'keep'), 'x');
      expect(await codeOfAsync(() => decodeTreeJson(SMALL.inputs, goodDoc(), dir))).to.equal(
        'BERTH_E_OUT_NOT_EMPTY',
      );
      expect(await readdir(dir)).to.deep.equal(['keep']);
    });

    it('refuses bodies that are not JSON, not UTF-8 or too large (path "")', async () => {
      const cases: [Uint8Array | string, string, object?][] = [
        ['{"a":', 'BERTH_E_JSON_SYNTAX'],
        [Uint8Array.of(0x7b, 0xff, 0x7d), 'BERTH_E_NOT_UTF8'],
        [JSON.stringify(goodDoc()), 'BERTH_E_TOO_LARGE', { maxBytes: 100 }],
        [Buffer.from(JSON.stringify(goodDoc())), 'BERTH_E_TOO_LARGE', { maxBytes: 100 }],
      ];
      for (const [body, code, limits] of cases) {
        expect(await problemsOf(async () => parseJsonDocument(body, limits))).to.deep.equal([[code, '']]);
        expect(await codeOfAsync(() => decodeTree('json', SMALL.inputs, body, fresh(), limits))).to.equal(
          code,
        );
      }
    });

    it('refuses encoding a tree beyond maxBytes', async () => {
      const dir = fresh();
      await decodeTreeJson(SMALL.inputs, goodDoc(), dir);
      expect(await codeOfAsync(() => encodeTreeJson(SMALL.inputs, dir, { maxBytes: 64 }))).to.equal(
        'BERTH_E_TOO_LARGE',
      );
      expect(await codeOfAsync(() => encodeTree('json', SMALL.inputs, dir, { maxBytes: 300 }))).to.equal(
        'BERTH_E_TOO_LARGE',
      );
    });
  });

  describe('DICOM', () => {
    const DEF = definitionOf(`
metadata-version: 2
info: {name: wire-dicom}
schema-in:
  ct: {dicom-type: dicom-series, modalities: [CT], series-related-instances: 3}
  mr: {dicom-type: dicom-series, modalities: [MR], nullable: true}
  image: {dicom-type: dicom-image, nullable: true}
  study: {dicom-type: dicom-study, nullable: true, study-related-series: [3, 2]}
schema-out:
  ok: {type: boolean}
`);
    /** A CT series of 3 instances, another of 2 in the same study, and a series of another study. */
    let series: string[];
    let other: string[];
    let foreign: string[];
    before(async function () {
      this.timeout(30_000);
      const gen = definitionOf(`
metadata-version: 2
info: {name: gen}
schema-in:
  s: {dicom-type: dicom-study, modalities: [CT], study-related-series: [3, 2]}
  x: {dicom-type: dicom-series, modalities: [CT]}
schema-out:
  ok: {type: boolean}
`);
      const dir = fresh();
      // x is another study: the inputs of one tree share a study unless asked otherwise.
      await synthTree(gen, 'in', dir, { seed: 4, separateStudies: true });
      const b64 = async (folder: string): Promise<string[]> =>
        Promise.all(
          (await readdir(folder)).map(async (f) => (await readFile(path.join(folder, f))).toString('base64')),
        );
      const lists = await Promise.all(
        (await readdir(path.join(dir, 's'))).map((uid) => b64(path.join(dir, 's', uid))),
      );
      series = lists.find((l) => l.length === 3)!;
      other = lists.find((l) => l.length === 2)!;
      foreign = await b64(path.join(dir, 'x'));
    });

    it('stores instances by their UIDs: a series flat, a study by SeriesInstanceUID', async () => {
      const dir = fresh();
      await decodeTreeJson(DEF.inputs, { ct: series, image: series[0], study: [...other, ...series] }, dir);
      expect(await checkTree(DEF, 'in', dir)).to.deep.equal([]);
      const files = await listFiles(dir);
      expect(files.filter((f) => f.startsWith('ct/'))).to.have.length(3);
      expect(files.filter((f) => f.startsWith('study/')).map((f) => f.split('/').length)).to.deep.equal([
        3, 3, 3, 3, 3,
      ]);
      expect(
        new Set(files.filter((f) => f.startsWith('study/')).map((f) => f.split('/')[1])),
      ).to.have.property('size', 2);
      // Encoding gives the instances back: a series in geometric order, whatever order they came in.
      const again = await encodeTreeJson(DEF.inputs, dir);
      expect([...(again['ct'] as string[])].sort()).to.deep.equal([...series].sort());
      expect(again['image']).to.equal(series[0]);
      expect([...(again['study'] as string[])].sort()).to.deep.equal([...other, ...series].sort());
    });

    it('refuses what the DICOM writers and folder checks refuse, pointing at the instance', async () => {
      const refused = async (doc: Record<string, unknown>): Promise<[string, string | undefined][]> => {
        const dir = fresh();
        const p = await problemsOf(() => decodeTreeJson(DEF.inputs, doc, dir));
        expect(await listFiles(dir)).to.deep.equal([]);
        return p;
      };
      expect(
        await refused({ ct: [series[0], series[1], Buffer.from('not dicom').toString('base64')] }),
      ).to.deep.equal([['BERTH_E_NOT_PART10', '/ct/2']]);
      expect(await refused({ ct: series, mr: series })).to.deep.equal([
        ['BERTH_E_DICOM_MODALITY', '/mr/0'],
        ['BERTH_E_DICOM_MODALITY', '/mr/1'],
        ['BERTH_E_DICOM_MODALITY', '/mr/2'],
      ]);
      expect(await refused({ ct: [series[0], series[1], series[0]] })).to.deep.equal([
        ['BERTH_E_DUPLICATE_INSTANCE', '/ct/2'],
      ]);
      expect(await refused({ ct: [series[0], series[1], other[0]] })).to.deep.equal([
        ['BERTH_E_DICOM_MIXED_SERIES', '/ct/2'],
      ]);
      expect(await refused({ ct: [series[0], series[1], foreign[0]] })).to.deep.equal([
        ['BERTH_E_DICOM_MIXED_SERIES', '/ct/2'],
        ['BERTH_E_DICOM_MIXED_STUDY', '/ct/2'],
      ]);
      expect(await refused({ ct: series, study: [...series, ...foreign.slice(0, 2)] })).to.deep.equal([
        ['BERTH_E_DICOM_MIXED_STUDY', '/study/3'],
        ['BERTH_E_DICOM_MIXED_STUDY', '/study/4'],
      ]);
      expect(await refused({ ct: [] })).to.deep.equal([['BERTH_E_DICOM_EMPTY', '/ct']]);
      expect(await refused({ ct: series[0] })).to.deep.equal([['BERTH_E_VALUE_TYPE', '/ct']]);
      // Counts are a property of the whole folder: checked after writing, then everything is removed.
      expect(await refused({ ct: series.slice(0, 2) })).to.deep.equal([
        ['BERTH_E_DICOM_SERIES_INSTANCES', '/ct'],
      ]);
      expect(await refused({ ct: series, study: [...series, other[0]!] })).to.deep.equal([
        ['BERTH_E_DICOM_STUDY_SERIES', '/study'],
      ]);
    });
  });

  describe('base64', () => {
    it('decodes only canonical standard padded base64', async () => {
      for (const n of [0, 1, 2, 3, 4, 5, 100]) {
        const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff));
        const text = encodeBase64(bytes);
        expect(base64ByteLength(text)).to.equal(n);
        expect(decodeBase64(text).equals(bytes)).to.equal(true);
      }
      for (const bad of ['A', 'AA=', 'AAA', 'QR==', 'QUJ=', 'QU J', 'QUJD\n', '-_-_', 'QQ==QUFB', 'Q===']) {
        expect(await codeOfAsync(() => decodeBase64(bad)), bad).to.equal('BERTH_E_WIRE_BASE64');
      }
    });
  });

  describe('interop with Python (json + base64 + numpy)', function () {
    this.timeout(60_000);
    before(async function () {
      await requirePeer(this, PYTHON_NUMPY_PEER);
    });

    const INTEROP = definitionOf(`
metadata-version: 2
info: {name: interop}
schema-in:
  arrays: {type: array, items: {type: ndarray}}
  text: {type: string}
  count: {type: integer}
  big: {type: integer}
  x: {type: number}
  ratio: {type: percentage}
  flag: {type: boolean}
  when: {type: date-time}
  blob: {mime-type: application/octet-stream}
  nested: {type: object, properties: {list: {type: array, items: {type: number}}}}
schema-out:
  ok: {type: boolean}
`);

    it('Python reads what berth writes: every dtype and shape, every primitive', async () => {
      const samples = allSamples();
      const dir = fresh();
      const values: Record<string, unknown> = {
        arrays: samples.map((s) => s.arr),
        text: 'héllo ✓',
        count: -7,
        big: 2 ** 40 + 1,
        x: 2.5,
        ratio: 0.125,
        flag: false,
        when: '2024-01-02T03:04:05Z',
        blob: Buffer.from([0, 255, 1, 2, 3]),
        nested: { list: [1.5, -2.25] },
      };
      for (const p of INTEROP.inputs) await writeValue(p, safeJoin(dir, p.name), values[p.name], {});
      const body = await encodeTree('json', INTEROP.inputs, dir);
      const script = `
import sys, json, base64, numpy as np
d = json.loads(sys.stdin.buffer.read())
arrays = []
for a in d['arrays']:
    x = np.frombuffer(base64.b64decode(a['data_b64']), dtype=a['dtype']).reshape(a['shape'])
    arrays.append([str(x.dtype), list(x.shape), x.tobytes().hex()])
prims = {k: [type(d[k]).__name__, d[k]] for k in ['text', 'count', 'big', 'x', 'ratio', 'flag', 'when', 'nested']}
print(json.dumps({'arrays': arrays, 'prims': prims, 'blob': base64.b64decode(d['blob'], validate=True).hex()}))`;
      const out = JSON.parse((await python(script, { input: body })).toString()) as {
        arrays: [string, number[], string][];
        prims: Record<string, [string, unknown]>;
        blob: string;
      };
      expect(out.arrays).to.deep.equal(samples.map(({ arr }) => [arr.dtype, arr.shape, hex(asBytes(arr))]));
      expect(out.prims).to.deep.equal({
        text: ['str', 'héllo ✓'],
        count: ['int', -7],
        big: ['int', 2 ** 40 + 1],
        x: ['float', 2.5],
        ratio: ['float', 0.125],
        flag: ['bool', false],
        when: ['str', '2024-01-02T03:04:05Z'],
        nested: ['dict', { list: [1.5, -2.25] }],
      });
      expect(out.blob).to.equal('00ff010203');
    });

    it('berth reads what Python writes with NumpyArrayField: byte orders, memory orders, 0-d', async () => {
      const script = `
import json, base64, datetime, numpy as np
def ser(a): return {"data_b64": base64.b64encode(a.tobytes()).decode("utf-8"), "shape": a.shape, "dtype": str(a.dtype)}
arrays, expect = [], []
def add(a):
    arrays.append(ser(a))
    c = a.copy(order='C').astype(a.dtype.newbyteorder('<'))
    expect.append([c.dtype.name, list(c.shape), c.tobytes().hex()])
rng = np.random.default_rng(9)
for dt in ['bool','int8','int16','int32','int64','uint8','uint16','uint32','uint64','float16','float32','float64','complex64','complex128']:
    raw = rng.integers(0, 256, size=12 * np.dtype(dt).itemsize, dtype=np.uint8)
    a = (raw[:12] & 1).astype(bool) if dt == 'bool' else raw.view(dt)
    add(a.reshape(3, 4))
    add(a.astype(a.dtype.newbyteorder('>')).reshape(2, 6))
    add(np.asfortranarray(a.reshape(4, 3)))
add(np.arange(60, dtype='<f8').reshape(6, 10)[::2, 1::3])
add(np.array(9, dtype='<u2'))
add(np.zeros((3, 0), dtype='<c8'))
doc = {'arrays': arrays, 'text': 'snow ☃', 'count': 12, 'big': 2**53 - 1, 'x': 1e-300, 'ratio': 1.0, 'flag': True,
       'when': datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc).isoformat(),
       'blob': base64.b64encode(bytes(range(256))).decode(), 'nested': {'list': []}}
print(json.dumps({'doc': json.dumps(doc), 'expect': expect}))`;
      const out = JSON.parse((await python(script)).toString()) as {
        doc: string;
        expect: [string, number[], string][];
      };
      const dir = fresh();
      await decodeTree('json', INTEROP.inputs, out.doc, dir);
      const values = await readObject(INTEROP.inputs, dir, { realRoot: dir });
      const arrays = values['arrays'] as NdArray[];
      expect(arrays.map((a) => [a.dtype, a.shape, hex(asBytes(a))])).to.deep.equal(out.expect);
      expect(await readFile(path.join(dir, 'when'), 'utf8')).to.equal('2024-01-02T03:04:05.678000+00:00');
      expect(await readFile(path.join(dir, 'ratio'), 'utf8')).to.equal('100%');
      expect(await readFile(path.join(dir, 'big'), 'utf8')).to.equal(String(2 ** 53 - 1));
      expect(await readFile(path.join(dir, 'x'), 'utf8')).to.equal('1e-300');
      expect(
        (await readFile(path.join(dir, 'blob'))).equals(
          Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
        ),
      ).to.equal(true);
      expect(await readdir(path.join(dir, 'nested', 'list'))).to.deep.equal([]);
    });
  });
});
