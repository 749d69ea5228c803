import { fullFormats } from 'ajv-formats/dist/formats.js';
import { BerthError, type Code } from '../errors.js';
import { compilePattern } from './pattern.js';
import type { Outcome, ValueKeywords, ValueProblem } from './kind.js';

export type { Outcome, TextForm, ValueProblem } from './kind.js';

/** A successful outcome. */
export function ok<V>(value: V): Outcome<V> {
  return { ok: true, value };
}

/** A failed outcome. */
export function bad<V = never>(code: Code, message: string, expected?: string): Outcome<V> {
  return { ok: false, problem: { code, message, ...(expected === undefined ? {} : { expected }) } };
}

/** The error that refuses a value of property `p` at `path` for `problem` (readers and writers throw it). */
export function refusal(problem: ValueProblem, p: { readonly path: string }, path: string): BerthError {
  return new BerthError(problem.code, problem.message, {
    path,
    property: p.path,
    ...(problem.expected === undefined ? {} : { expected: problem.expected }),
  });
}

/**
 * Drops one trailing newline (`\n` or `\r\n`): files written by `echo` or editors end with one.
 * Applied to every primitive except strings, which are read byte for byte.
 */
export function stripOneNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

/** Shows a text in a message, shortened. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? text.slice(0, 60) + '…' : text);
}

/**
 * True when `n` is a multiple of `m`. Integers are checked exactly; decimal multiples (0.1, 0.01)
 * are not exact in binary, so a quotient within a few ulps of an integer counts.
 */
export function isMultiple(n: number, m: number): boolean {
  if (Number.isInteger(n) && Number.isInteger(m)) return n % m === 0;
  const q = n / m;
  return Math.abs(q - Math.round(q)) <= 8 * Number.EPSILON * Math.max(1, Math.abs(q));
}

/** Checks the numeric keywords; `unit` is appended to bounds in messages (`%` for percentages). */
export function checkNumberKeywords(n: number, k: ValueKeywords, unit = ''): ValueProblem | undefined {
  const fail = (message: string, expected: string): ValueProblem => ({
    code: 'BERTH_E_VALUE_CONSTRAINT',
    message,
    expected,
  });
  if (k.minimum !== undefined && n < k.minimum)
    return fail(`${n}${unit} is below the minimum`, `≥ ${k.minimum}${unit}`);
  if (k.maximum !== undefined && n > k.maximum)
    return fail(`${n}${unit} is above the maximum`, `≤ ${k.maximum}${unit}`);
  if (k.exclusiveMinimum !== undefined && n <= k.exclusiveMinimum) {
    return fail(`${n}${unit} is not above the exclusive minimum`, `> ${k.exclusiveMinimum}${unit}`);
  }
  if (k.exclusiveMaximum !== undefined && n >= k.exclusiveMaximum) {
    return fail(`${n}${unit} is not below the exclusive maximum`, `< ${k.exclusiveMaximum}${unit}`);
  }
  if (k.multipleOf !== undefined && !isMultiple(n, k.multipleOf)) {
    {
      return fail(`${n}${unit} is not a multiple of ${k.multipleOf}`, `a multiple of ${k.multipleOf}${unit}`);
    }
  }
  return undefined;
}

type FormatCheck = ((s: string) => boolean) | RegExp | { validate: ((s: string) => boolean) | RegExp };

function formatCheck(format: string): ((s: string) => boolean) | undefined {
  const f = (fullFormats as Record<string, FormatCheck | undefined>)[format];
  if (!f) return undefined;
  const v = f instanceof RegExp || typeof f === 'function' ? f : f.validate;
  return v instanceof RegExp ? (s) => v.test(s) : v;
}

/**
 * Checks the string keywords. Lengths count Unicode code points, as JSON Schema does; `pattern`
 * is unanchored and matched in linear time (see pattern.ts); `format` is checked for the formats JSON Schema defines (ajv-formats' full set)
 * and ignored for any other name.
 */
export function checkTextKeywords(s: string, k: ValueKeywords): ValueProblem | undefined {
  const fail = (message: string, expected: string): ValueProblem => ({
    code: 'BERTH_E_VALUE_CONSTRAINT',
    message,
    expected,
  });
  if (k.minLength !== undefined || k.maxLength !== undefined) {
    const length = [...s].length;
    if (k.minLength !== undefined && length < k.minLength) {
      return fail(`The text has ${length} characters`, `at least ${k.minLength}`);
    }
    if (k.maxLength !== undefined && length > k.maxLength) {
      return fail(`The text has ${length} characters`, `at most ${k.maxLength}`);
    }
  }
  if (k.pattern !== undefined) {
    // Linear time whatever the pattern (pattern.ts): client text never meets a backtracking engine.
    const compiled = compilePattern(k.pattern);
    if (!compiled.ok) return { code: compiled.code, message: compiled.reason, expected: compiled.expected };
    if (!compiled.test(s)) {
      return fail(`The text ${quote(s)} does not match the pattern`, `a match of /${k.pattern}/`);
    }
  }
  if (k.format !== undefined) {
    const check = formatCheck(k.format);
    if (check && !check(s)) return fail(`The text ${quote(s)} is not a valid ${k.format}`, `a ${k.format}`);
  }
  return undefined;
}

/** The outcome of a keyword check: the value, or the problem. */
export function checked<V>(value: V, problem: ValueProblem | undefined): Outcome<V> {
  return problem ? { ok: false, problem } : ok(value);
}
