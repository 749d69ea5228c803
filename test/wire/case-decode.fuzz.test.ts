/**
 * Fuzz of the case-document decoders (src/wire/case-decode.ts through decodeTree in
 * src/wire/case.ts), JSON and msgpack: valid documents of two schemas — every value kind, and
 * DICOM instances — mutated byte by byte (with tokens of each format that claim huge sizes or
 * open strings), edited as values and encoded again (so that the schema walk, the codecs and the
 * DICOM scan see well-formed documents with hostile values), and arbitrary documents built from
 * JSON or msgpack values. Each decodes into a
 * fresh folder or is refused with catalogued codes. See test/support/fuzz.ts for the property and
 * `npm run fuzz` for long runs.
 */
import fc from 'fast-check';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { MachineDefinition } from '../../src/check/manifest.js';
import { synthSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { encodePart10 } from '../../src/dicom/write.js';
import { synthTree } from '../../src/harness/synth-tree.js';
import type { Property } from '../../src/kinds/property.js';
import { decodeTree, encodeTree, type WireFormat } from '../../src/wire/case.js';
import { pythonPackr, pythonUnpackr } from '../../src/wire/ndarray-msgpack.js';
import { removeDir, tempDir } from '../support/temp.js';
import { fuzz, type FuzzCase, type FuzzTarget } from '../support/fuzz.js';
import { applyByteEdits, byteEdits } from '../support/mutate.js';
import { applyValueEdits, valueEdits } from '../support/mutate-value.js';
import { definitionOf } from '../support/wire-case.js';

const VALUES = definitionOf(`
metadata-version: 2
info: {name: fuzz-wire-values}
schema-in:
  x: {type: number, minimum: 0, maximum: 100}
  n: {type: integer, nullable: true}
  mode: {enum: [fast, slow]}
  when: {type: date-time}
  flag: {type: boolean}
  ratio: {type: percentage}
  note: {type: string, pattern: '^[a-z ]*$', maxLength: 40}
  blob: {mime-type: application/octet-stream}
  volume: {type: ndarray, dtype: float32, shape: [null, 2]}
  params:
    type: object
    properties:
      a: {type: string}
      nested: {type: object, nullable: true, properties: {b: {type: boolean}}}
  list:
    type: array
    maxItems: 4
    items:
      type: object
      properties:
        slice: {type: integer}
        at: {type: date-time, nullable: true}
  matrix: {type: array, maxItems: 3, items: {type: array, maxItems: 3, items: {type: number}}}
  survival: {type: survival}
schema-out: {}
`);

const DICOM = definitionOf(`
metadata-version: 2
info: {name: fuzz-wire-dicom}
schema-in:
  image: {dicom-type: dicom-image}
  ct: {dicom-type: dicom-series}
  study: {dicom-type: dicom-study, nullable: true}
schema-out: {}
`);

const SCHEMAS: Record<string, readonly Property[]> = { values: VALUES.inputs, dicom: DICOM.inputs };

/** Small instances (8 × 8) as JSON: one image, a series of two, a study of one series. */
function dicomDocument(): string {
  const dcm = (seriesIndex: number, instances: number): string[] =>
    synthSeries({ seed: 'fuzz', seriesIndex, instances, rows: 8, columns: 8 }).map((i) =>
      encodePart10(i.elements, { transferSyntaxUid: TS.ExplicitVRLittleEndian }).toString('base64'),
    );
  return JSON.stringify({ image: dcm(0, 1)[0], ct: dcm(1, 2), study: dcm(2, 1) });
}

// Bytes that claim sizes or open constructs: msgpack str32, bin32, array32 and map32 with huge
// counts, ext and timestamp headers, the never-used 0xc1; JSON string, escape and nesting openers.
const MSGPACK_TOKENS = [
  'dbffffffff',
  'c6ffffffff',
  'ddffffffff',
  'dfffffffff',
  'dc7fff',
  'de7fff',
  'c7ffff',
  'd6ff',
  'c1',
  'd4ff00',
  'cfffffffffffffffff',
  '91'.repeat(20_000), // arrays of one array, 20,000 deep
  '81a178'.repeat(20_000), // maps of one map
];
const JSON_TOKENS = [
  '"',
  '\\',
  '\\u',
  '\\ud800',
  '{',
  '[',
  '[[[[[[[[',
  '['.repeat(20_000),
  '{"x":'.repeat(20_000),
  '}',
  ']',
  ',',
  ':',
  '1e999',
  '-',
  '0.',
  'null',
  '\xc3',
  '\xff',
  '\u0000',
];
const TOKENS: Record<WireFormat, Uint8Array[]> = {
  msgpack: MSGPACK_TOKENS.map((h) => Buffer.from(h, 'hex')),
  json: JSON_TOKENS.map((t) => Buffer.from(t, 'latin1')),
};

/** msgpack values such as Python peers send: maps with any keys, bins, big ints, floats. */
const msgpackValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null)),
    fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
      fc.uint8Array({ maxLength: 16 }),
      fc.date(),
    ),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom('x', 'note', 'volume', 'nd', 'data'),
            fc.string({ maxLength: 4 }),
            fc.integer(),
          ),
          tie('value'),
        ),
        { maxLength: 4 },
      )
      .map((entries) => new Map(entries)),
  ),
})).value;

/** `leaf` inside `depth` arrays (or objects `{x: …}` when `leaf` is an object). */
function nested(leaf: unknown[] | object, depth: number): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = Array.isArray(leaf) ? [v] : { x: v };
  return v;
}

function parse(format: WireFormat, bytes: Uint8Array): unknown {
  return format === 'json'
    ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown)
    : pythonUnpackr.unpack(bytes);
}

/** A value as a document of `format`; undefined when the encoder refuses it (a bigint too wide). */
function encode(format: WireFormat, value: unknown): Uint8Array | undefined {
  try {
    if (format === 'msgpack') return pythonPackr.pack(value);
    return Buffer.from(JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
  } catch {
    return undefined;
  }
}

const KEYS = [...VALUES.inputs, ...DICOM.inputs].map((p) => p.name);

/** An object of schema keys (and others) with arbitrary values, as a document of `format`. */
function arbitraryDocument(format: WireFormat): fc.Arbitrary<Uint8Array> {
  const key = fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 }));
  if (format === 'json') {
    return fc
      .dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
      .map((o) => Buffer.from(JSON.stringify(o)));
  }
  return fc.array(fc.tuple(key, msgpackValue), { maxLength: 6 }).map((e) => pythonPackr.pack(new Map(e)));
}

describe('wire/case-decode under fuzz: mutated and arbitrary documents decode or are refused with codes', () => {
  let tmp = '';
  let n = 0;
  const bases: Record<string, Buffer> = {};
  before(async function () {
    this.timeout(60_000);
    tmp = await tempDir('fuzz-wire');
    const def: MachineDefinition = VALUES;
    const src = path.join(tmp, 'src');
    await synthTree(def, 'in', src, { seed: 'fuzz' });
    bases['values/json'] = await encodeTree('json', VALUES.inputs, src);
    bases['values/msgpack'] = await encodeTree('msgpack', VALUES.inputs, src);
    const dicomTree = path.join(tmp, 'dicom');
    await decodeTree('json', DICOM.inputs, dicomDocument(), dicomTree);
    bases['dicom/json'] = await encodeTree('json', DICOM.inputs, dicomTree);
    bases['dicom/msgpack'] = await encodeTree('msgpack', DICOM.inputs, dicomTree);
    // Mutations start from documents that decode.
    for (const [variant, bytes] of Object.entries(bases)) await decode({ variant, bytes });
  });
  after(() => removeDir(tmp));

  /** Decodes one case (`<schema>/<format>`, `/json-text`: the body as a string) into a fresh folder. */
  async function decode(c: FuzzCase): Promise<void> {
    const [schema, how] = c.variant.split('/') as [string, WireFormat | 'json-text'];
    const dir = path.join(tmp, `d${n++}`);
    try {
      if (how === 'json-text') {
        await decodeTree('json', SCHEMAS[schema]!, Buffer.from(c.bytes).toString('utf8'), dir);
      } else await decodeTree(how, SCHEMAS[schema]!, c.bytes, dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  function mutated(format: WireFormat): fc.Arbitrary<FuzzCase> {
    return fc.tuple(fc.constantFrom('values', 'dicom'), byteEdits(4)).map(([schema, edits]) => {
      const variant = `${schema}/${format}`;
      return { variant, bytes: applyByteEdits(bases[variant]!, edits, { tokens: TOKENS[format] }) };
    });
  }

  function arbitrary(format: WireFormat): fc.Arbitrary<FuzzCase> {
    return fc
      .tuple(fc.constantFrom('values', 'dicom'), arbitraryDocument(format))
      .map(([schema, bytes]) => ({ variant: `${schema}/${format}`, bytes }));
  }

  /** A base document decoded, edited as values (see ../support/mutate-value.ts) and encoded again. */
  function edited(format: WireFormat): fc.Arbitrary<FuzzCase> {
    const parsed = {
      values: parse(format, bases[`values/${format}`]!),
      dicom: parse(format, bases[`dicom/${format}`]!),
    };
    const values = fc.oneof(
      { arbitrary: format === 'json' ? fc.jsonValue({ maxDepth: 2 }) : msgpackValue, weight: 9 },
      { arbitrary: fc.constantFrom(nested([], 3000), nested({}, 3000)), weight: 1 },
    );
    const keys =
      format === 'json'
        ? fc.string({ maxLength: 6 })
        : fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.uint8Array({ maxLength: 4 }));
    return fc
      .tuple(fc.constantFrom('values' as const, 'dicom' as const), valueEdits(values, keys))
      .map(([schema, edits]) => {
        const bytes = encode(format, applyValueEdits(parsed[schema], edits)) ?? bases[`${schema}/${format}`]!;
        return { variant: `${schema}/${format}`, bytes };
      });
  }

  for (const format of ['json', 'msgpack'] as const) {
    const target = (name: string, quickRuns: number, arb: () => fc.Arbitrary<FuzzCase>): FuzzTarget => ({
      name,
      quickRuns,
      get arbitrary() {
        return arb();
      },
      run: decode,
      // parseMsgpackDocument wraps whatever msgpackr throws, with its text, as BERTH_E_WIRE_FORMAT.
      libraryErrors: /^The bytes are not one valid msgpack value: /,
    });

    it(`decodes every mutated ${format} document or refuses it with catalogued codes, each within 2 s`, async () => {
      await fuzz(target(`wire-${format}-mutated`, 150, () => mutated(format)));
    });

    it(`does the same for well-formed ${format} documents with values replaced, removed, renamed or edited`, async () => {
      await fuzz(target(`wire-${format}-edited`, 60, () => edited(format)));
    });

    it(`does the same for arbitrary ${format} documents over the schemas' keys`, async () => {
      await fuzz(target(`wire-${format}-arbitrary`, 100, () => arbitrary(format)));
    });
  }
});
