import { finding, type Code } from '../errors.js';
import type { JsonObject, JsonValue } from '../manifest/document.js';
import type { DefineContext, JsonSchema, KeywordSchemas, ValueKeywords } from './property.js';
import { compilePattern } from './pattern.js';

/** Keywords every kind accepts. */
export const COMMON_KEYWORDS = [
  'title',
  'description',
  'nullable',
  'default',
  'examples',
  '$comment',
  'berth',
];

/**
 * The JSON Schema of the common keywords the manifest schema describes (the others take any
 * value), written into schemas/machine.schema.json with the kinds' keywords (manifest-schema.ts).
 */
export const COMMON_KEYWORD_SCHEMAS: KeywordSchemas = {
  nullable: { type: 'boolean', description: 'true makes the property optional.' },
  title: { type: 'string' },
  description: { type: 'string' },
  berth: { type: 'object', description: "berth's per-property settings, e.g. comparison tolerances." },
};

/** The recognising keywords of the reference. */
export const RECOGNISERS = ['dicom-type', 'mime-type', 'enum', 'type'];

/** The schema of a mapping of property name to definition (`properties`), in the manifest schema. */
export const MEMBERS_SCHEMA: JsonSchema = { $ref: '#/definitions/schema' };

/** The schema of one property definition (`items`), in the manifest schema. */
export const DEFINITION_SCHEMA: JsonSchema = { $ref: '#/definitions/property' };

/** Numeric range keywords (integer, number, percentage), with their schemas. */
export const NUMERIC_KEYWORDS = {
  minimum: { type: 'number' },
  maximum: { type: 'number' },
  exclusiveMinimum: { type: 'number' },
  exclusiveMaximum: { type: 'number' },
  multipleOf: { type: 'number', exclusiveMinimum: 0 },
} as const satisfies KeywordSchemas;

/** A count or length keyword (`minItems`, `maxLength` …): an integer ≥ 0. */
export const COUNT_SCHEMA: JsonSchema = { type: 'integer', minimum: 0 };

/** Reports a keyword problem at the keyword's own line. */
export function reportKeyword(
  ctx: DefineContext,
  code: Code,
  keyword: string,
  detail: string,
  expected?: string,
): void {
  const line = ctx.lineOf([...ctx.pointer, keyword]) ?? ctx.lineOf(ctx.pointer);
  ctx.report(
    finding(code, detail, {
      property: ctx.path,
      ...(line === undefined ? {} : { line }),
      ...(expected === undefined ? {} : { expected }),
    }),
  );
}

/** Reads an optional finite number keyword, reporting a wrong type. */
export function numberKeyword(def: JsonObject, key: string, ctx: DefineContext): number | undefined {
  const v = def[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  reportKeyword(
    ctx,
    'BERTH_E_KEYWORD_VALUE',
    key,
    `${key} must be a number, got ${describe(v)}`,
    'a finite number',
  );
  return undefined;
}

/** Reads an optional non-negative integer keyword (counts, lengths). */
export function countKeyword(def: JsonObject, key: string, ctx: DefineContext, min = 0): number | undefined {
  const v = def[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
  reportKeyword(
    ctx,
    'BERTH_E_KEYWORD_VALUE',
    key,
    `${key} must be an integer ≥ ${min}, got ${describe(v)}`,
    `an integer ≥ ${min}`,
  );
  return undefined;
}

/** Reads an optional string keyword. */
export function stringKeyword(def: JsonObject, key: string, ctx: DefineContext): string | undefined {
  const v = def[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  reportKeyword(ctx, 'BERTH_E_KEYWORD_VALUE', key, `${key} must be a string, got ${describe(v)}`, 'a string');
  return undefined;
}

/**
 * Reads a list of strings; a single string is accepted as a one-item list (the reference's
 * examples always use lists, but a lone UID or modality is a common shorthand).
 */
export function stringListKeyword(
  def: JsonObject,
  key: string,
  ctx: DefineContext,
  check?: (s: string) => string | undefined,
  code: Code = 'BERTH_E_KEYWORD_VALUE',
): string[] | undefined {
  const v = def[key];
  if (v === undefined || v === null) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string')) {
    reportKeyword(
      ctx,
      'BERTH_E_KEYWORD_VALUE',
      key,
      `${key} must be a non-empty list of strings, got ${describe(v)}`,
      'a non-empty list of strings',
    );
    return undefined;
  }
  const out = list as string[];
  if (check) {
    for (const s of out) {
      const problem = check(s);
      if (problem) reportKeyword(ctx, code, key, `${key}: ${problem}`);
    }
  }
  return out;
}

/** Reads the numeric range keywords and checks that some value can satisfy them. */
export function numericKeywords(def: JsonObject, ctx: DefineContext): ValueKeywords {
  const k: ValueKeywords = {};
  for (const key of Object.keys(NUMERIC_KEYWORDS) as (keyof typeof NUMERIC_KEYWORDS)[]) {
    const v = numberKeyword(def, key, ctx);
    if (v !== undefined) (k as Record<string, number>)[key] = v;
  }
  if (k.multipleOf !== undefined && k.multipleOf <= 0) {
    reportKeyword(
      ctx,
      'BERTH_E_KEYWORD_VALUE',
      'multipleOf',
      'multipleOf must be greater than 0',
      'a positive number',
    );
    delete k.multipleOf;
  }
  const lo = k.minimum ?? k.exclusiveMinimum;
  const hi = k.maximum ?? k.exclusiveMaximum;
  const exclusive = k.exclusiveMinimum !== undefined || k.exclusiveMaximum !== undefined;
  if (lo !== undefined && hi !== undefined && (lo > hi || (exclusive && lo === hi))) {
    reportKeyword(
      ctx,
      'BERTH_E_RANGE_EMPTY',
      k.minimum !== undefined ? 'minimum' : 'exclusiveMinimum',
      `No value satisfies the range: lower bound ${lo} is above upper bound ${hi}`,
      'minimum ≤ maximum',
    );
  }
  return k;
}

/** Reads string length and pattern keywords. */
export function textKeywords(def: JsonObject, ctx: DefineContext): ValueKeywords {
  const k: ValueKeywords = {};
  const minLength = countKeyword(def, 'minLength', ctx);
  const maxLength = countKeyword(def, 'maxLength', ctx);
  if (minLength !== undefined) k.minLength = minLength;
  if (maxLength !== undefined) k.maxLength = maxLength;
  if (minLength !== undefined && maxLength !== undefined && minLength > maxLength) {
    reportKeyword(
      ctx,
      'BERTH_E_RANGE_EMPTY',
      'minLength',
      `minLength ${minLength} is greater than maxLength ${maxLength}`,
      'minLength ≤ maxLength',
    );
  }
  const pattern = stringKeyword(def, 'pattern', ctx);
  if (pattern !== undefined) {
    // ECMA-262 syntax, unanchored, Unicode semantics; refused when RE2 cannot run it (pattern.ts).
    const compiled = compilePattern(pattern);
    if (compiled.ok) k.pattern = pattern;
    else reportKeyword(ctx, compiled.code, 'pattern', compiled.reason, compiled.expected);
  }
  const format = stringKeyword(def, 'format', ctx);
  if (format !== undefined) k.format = format;
  return k;
}

/** A short description of a JSON value for messages. */
export function describe(v: JsonValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  return String(v);
}

/**
 * How each value keyword bounds the values a property accepts, for comparing two versions of a
 * property (`berth diff`): a `lower` bound narrows the values when it rises, an `upper` bound when it
 * falls; an `exact` keyword (a pattern, a format, a step) narrows when added, widens when removed,
 * and is simply different when changed.
 */
export const KEYWORD_BOUNDS: Record<keyof ValueKeywords, 'lower' | 'upper' | 'exact'> = {
  minimum: 'lower',
  exclusiveMinimum: 'lower',
  minLength: 'lower',
  minItems: 'lower',
  maximum: 'upper',
  exclusiveMaximum: 'upper',
  maxLength: 'upper',
  maxItems: 'upper',
  multipleOf: 'exact',
  pattern: 'exact',
  format: 'exact',
};
