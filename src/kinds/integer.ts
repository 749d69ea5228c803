import type { KindDefinition } from './kind.js';
import { byType, nameLabel, NO_SPEC, NUMBER_METHODS, numericSchema } from './define-helpers.js';
import { NUMERIC_KEYWORDS, numericKeywords } from './keywords.js';
import {
  bad,
  checkNumberKeywords,
  checked,
  quote,
  stripOneNewline,
  type Outcome,
  type TextForm,
} from './value.js';

const INTEGER_TEXT = /^[+-]?[0-9]+$/;

const SAFE_RANGE = 'an integer between -9007199254740991 and 9007199254740991';

function safe(n: number, shown: string): Outcome<number> {
  return Number.isSafeInteger(n)
    ? { ok: true, value: n }
    : bad('BERTH_E_INTEGER_UNSAFE', `${shown} is beyond ±(2^53 − 1)`, SAFE_RANGE);
}

/**
 * Decimal digits with an optional sign, nothing else (no `12abc`, no `1e3`, no `1.0`, no spaces).
 * Integers beyond ±(2^53 − 1) are refused rather than rounded or returned as bigint.
 */
const integerText: TextForm<number> = {
  expected: 'a decimal integer such as 42',
  parse(text, p) {
    const t = stripOneNewline(text);
    if (!INTEGER_TEXT.test(t))
      return bad('BERTH_E_VALUE_TEXT', `${quote(t)} is not an integer`, 'a decimal integer such as 42');
    // `-0` reads as 0: integers have no negative zero (and 0 is what format writes).
    const n = safe(Number(t) || 0, t);
    return n.ok ? checked(n.value, checkNumberKeywords(n.value, p.keywords)) : n;
  },
  format(value, p) {
    let n: number;
    if (typeof value === 'bigint') n = Number(value);
    else if (typeof value === 'number' && Number.isInteger(value)) n = value;
    else
      return bad('BERTH_E_VALUE_TYPE', `An integer property takes an integer, not ${describeValue(value)}`);
    const unsafe = !Number.isSafeInteger(n) || (typeof value === 'bigint' && BigInt(n) !== value);
    if (unsafe) return bad('BERTH_E_INTEGER_UNSAFE', `${String(value)} is beyond ±(2^53 − 1)`, SAFE_RANGE);
    return checked(String(n === 0 ? 0 : n), checkNumberKeywords(n, p.keywords));
  },
};

/** Describes a JS value in a message. */
export function describeValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/** `type: integer` — decimal integer text in one file. */
export const integerKind: KindDefinition<'integer', null> = byType<'integer', null>('integer', {
  keywords: NUMERIC_KEYWORDS,
  define: (def, ctx) => ({ spec: NO_SPEC, keywords: numericKeywords(def, ctx) }),
  label: nameLabel,
  shape: 'file',
  storage: { form: 'text', text: integerText },
  model: () => ({ type: 'integer' }),
  jsonSchema: (p, ctx) => ({ ...ctx.described(p), type: 'integer', ...numericSchema(p.keywords) }),
  comparison: {
    accepts: NUMBER_METHODS,
    // Integers are equal or not, unless the tolerance allows a difference.
    defaultMethod: (_p, t) => (t.abs !== undefined || t.rel !== undefined ? 'numeric' : 'exact'),
  },
  typescript: () => ({ read: 'number', write: 'number' }),
});
