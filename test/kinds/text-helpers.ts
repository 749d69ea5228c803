import { expect } from 'chai';
import type { Code } from '../../src/errors.js';
import { kindOf } from '../../src/kinds/registry.js';
import type { Property } from '../../src/kinds/property.js';
import { resolveSide } from '../../src/kinds/resolve.js';
import type { Outcome, TextForm } from '../../src/kinds/value.js';
import type { JsonObject } from '../../src/manifest/document.js';
import { textFormOf } from '../../src/kinds/kind.js';

/** fast-check runs per property: enough to find edge cases, few enough to keep the suite fast. */
export const RUNS = { numRuns: 500 };

/** A real property, resolved from a one-entry `schema-in` exactly as a manifest would be. */
export function property(def: JsonObject): Property {
  const resolved = resolveSide({ x: def }, 'in', () => undefined);
  const errors = resolved.findings.filter((f) => f.severity === 'error');
  expect(errors, `findings for ${JSON.stringify(def)}`).to.deep.equal([]);
  expect(resolved.properties).to.have.length(1);
  return resolved.properties[0]!;
}

/** A property with the text form of its kind, ready to parse and format. */
export interface Subject {
  readonly p: Property;
  readonly form: TextForm<unknown>;
  parse(text: string): Outcome<unknown>;
  format(value: unknown): Outcome<string>;
}

/** Resolves `def` and binds the text form of the kind it resolves to. */
export function subject(def: JsonObject): Subject {
  const p = property(def);
  const form = textFormOf(kindOf(p.kind));
  if (!form) throw new Error(`kind ${p.kind} has no text form`);
  return {
    p,
    form,
    parse: (text) => form.parse(text, p),
    format: (value) => form.format(value, p),
  };
}

/** The value of an outcome that must be ok; fails with the problem otherwise. */
export function valueOf<V>(o: Outcome<V>, what = 'outcome'): V {
  if (!o.ok) expect.fail(`${what}: expected ok, got ${o.problem.code}: ${o.problem.message}`);
  return o.value;
}

/** The problem code of an outcome that must fail; fails with the value otherwise. */
export function problemCode(o: Outcome<unknown>, what = 'outcome'): Code {
  if (o.ok) expect.fail(`${what}: expected a problem, got ok ${show(o.value)}`);
  expect(o.problem.message, `${what}: message`).to.be.a('string').with.length.above(0);
  return o.problem.code;
}

/** Shows a value in an assertion message, keeping -0, bigint and Dates apart. */
export function show(v: unknown): string {
  if (Object.is(v, -0)) return '-0';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()})`;
  if (typeof v === 'number') return String(v);
  return String(v);
}

/** Asserts that every text is refused by `parse` with `code`. */
export function expectParseRefused(s: Subject, texts: readonly string[], code: Code): void {
  for (const t of texts)
    expect(problemCode(s.parse(t), `parse(${show(t)})`), `parse(${show(t)})`).to.equal(code);
}

/** Asserts that every value is refused by `format` with `code`. */
export function expectFormatRefused(s: Subject, values: readonly unknown[], code: Code): void {
  for (const v of values) {
    expect(problemCode(s.format(v), `format(${show(v)})`), `format(${show(v)})`).to.equal(code);
  }
}

/** Writes a value then reads the text back. */
export function roundTrip(s: Subject, value: unknown): unknown {
  const text = valueOf(s.format(value), `format(${show(value)})`);
  return valueOf(s.parse(text), `parse(${show(text)}) of format(${show(value)})`);
}
