import type { KindDefinition } from './kind.js';
import { byType, comparedBy, nameLabel, NO_SPEC, NUMBER_METHODS, numericSchema } from './define-helpers.js';
import { describeValue } from './integer.js';
import { NUMERIC_KEYWORDS, numericKeywords } from './keywords.js';
import { bad, checkNumberKeywords, checked, quote, stripOneNewline, type TextForm } from './value.js';

/** A decimal number: digits, optional fraction and exponent. No NaN, Infinity, hex or spaces. */
export const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Formats a finite number as the shortest text that reads back to exactly the same number. */
export function formatNumber(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

/** Parses decimal text to a finite number, or explains why not. */
export function parseDecimal(t: string): number | string {
  if (!DECIMAL.test(t)) return `${quote(t)} is not a decimal number`;
  const n = Number(t);
  return Number.isFinite(n) ? n : `${quote(t)} is out of the range of a 64-bit float`;
}

const numberText: TextForm<number> = {
  expected: 'a decimal number such as 3.14 or 1e-3',
  parse(text, p) {
    const t = stripOneNewline(text);
    const n = parseDecimal(t);
    if (typeof n === 'string') return bad('BERTH_E_VALUE_TEXT', n, 'a decimal number such as 3.14 or 1e-3');
    return checked(n, checkNumberKeywords(n, p.keywords));
  },
  format(value, p) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return bad(
        'BERTH_E_VALUE_TYPE',
        `A number property takes a finite number, not ${describeValue(value)}`,
      );
    }
    return checked(formatNumber(value), checkNumberKeywords(value, p.keywords));
  },
};

/** `type: number` — decimal number text in one file. */
export const numberKind: KindDefinition<'number', null> = byType<'number', null>('number', {
  keywords: NUMERIC_KEYWORDS,
  define: (def, ctx) => ({ spec: NO_SPEC, keywords: numericKeywords(def, ctx) }),
  label: nameLabel,
  shape: 'file',
  storage: { form: 'text', text: numberText },
  model: () => ({ type: 'number' }),
  jsonSchema: (p, ctx) => ({ ...ctx.described(p), type: 'number', ...numericSchema(p.keywords) }),
  comparison: comparedBy('numeric', NUMBER_METHODS),
  typescript: () => ({ read: 'number', write: 'number' }),
});
