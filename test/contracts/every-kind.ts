/**
 * The kind contract suite's fixture: one line per kind of the registry — its definition in a
 * manifest and a value a case gives for it. A new kind is tested by every contract
 * (test/contracts/kinds.test.ts) once its line is added here; the suite fails until it is.
 */
import type { JsonObject, JsonValue } from '../../src/manifest/document.js';

/** One kind's line: a definition of it, and a case value for that definition. */
export interface KindLine {
  /** The kind the definition must resolve to. */
  readonly kind: string;
  /** The definition, as written in `schema-in`/`schema-out` (YAML flow / JSON). */
  readonly def: JsonObject;
  /** A value a case file gives for it (berth test's `inputs:`/`expected.outputs:`). */
  readonly caseValue: JsonValue;
}

/** A tiny PNG (1 × 1, grey), as a case's `{file: …}` source, written by the suite. */
export const PNG_1X1 = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55' +
    '0000000a49444154789c636800000082008177cd72b60000000049454e44ae426082',
  'hex',
);

/** Every kind, one line each. Property names are the kind names with `-` → `_`. */
export const EVERY_KIND: readonly KindLine[] = [
  { kind: 'string', def: { type: 'string', maxLength: 40 }, caseValue: 'left lung' },
  { kind: 'enum', def: { enum: ['low', 'high'] }, caseValue: 'high' },
  { kind: 'date-time', def: { type: 'date-time' }, caseValue: '2024-03-01T12:30:00Z' },
  { kind: 'boolean', def: { type: 'boolean' }, caseValue: true },
  { kind: 'integer', def: { type: 'integer', minimum: 0, maximum: 1000 }, caseValue: 42 },
  { kind: 'number', def: { type: 'number', minimum: -10, maximum: 10 }, caseValue: 2.5 },
  { kind: 'percentage', def: { type: 'percentage', minimum: 0, maximum: 100 }, caseValue: '55.9%' },
  { kind: 'file', def: { 'mime-type': 'image/png' }, caseValue: { file: 'pixel.png' } },
  {
    kind: 'dicom-image',
    def: { 'dicom-type': 'dicom-image' },
    caseValue: { synth: { seed: 3, rows: 16, columns: 16 } },
  },
  {
    kind: 'dicom-series',
    def: { 'dicom-type': 'dicom-series', 'series-related-instances': 3 },
    caseValue: { synth: { seed: 4, instances: 3, rows: 16, columns: 16 } },
  },
  {
    kind: 'dicom-study',
    def: { 'dicom-type': 'dicom-study', 'study-related-series': [2] },
    caseValue: { synth: { seed: 5, series: [2], rows: 16, columns: 16 } },
  },
  {
    kind: 'object',
    def: { type: 'object', properties: { label: { type: 'string' }, score: { type: 'number' } } },
    caseValue: { label: 'nodule', score: 0.75 },
  },
  {
    kind: 'array',
    def: { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 4 },
    caseValue: [3, 1, 4],
  },
  {
    kind: 'ndarray',
    def: { type: 'ndarray', dtype: 'float32', shape: [2, null] },
    caseValue: { dtype: 'float32', shape: [2, 3], data: [0, 1, 2, 3, 4, 5] },
  },
  { kind: 'survival', def: { type: 'survival' }, caseValue: { event: true, time: 12.5 } },
];

/** The property name of a line. */
export function propertyName(line: KindLine): string {
  return line.kind.replaceAll('-', '_');
}

/** A manifest declaring every line on both sides. */
export function everyKindManifest(): string {
  const schema = Object.fromEntries(EVERY_KIND.map((l) => [propertyName(l), l.def]));
  return JSON.stringify(
    {
      'metadata-version': 2,
      info: { name: 'every-kind' },
      'schema-in': schema,
      'schema-out': schema,
      berth: { command: ['/bin/true'] },
    },
    null,
    2,
  );
}
