import type { KindDefinition } from './kind.js';
import { byType, comparedBy, nameLabel, NO_SPEC, NUMBER_METHODS, numericSchema } from './define-helpers.js';
import { describeValue } from './integer.js';
import { NUMERIC_KEYWORDS, numericKeywords } from './keywords.js';
import { DECIMAL } from './number.js';
import { bad, checkNumberKeywords, checked, quote, stripOneNewline, type TextForm } from './value.js';

/**
 * Moves the decimal point of decimal text `by` places (right when positive), in the text itself,
 * so no binary rounding happens on the way: `shiftDecimal('0.123', 2)` is `12.3`.
 */
export function shiftDecimal(text: string, by: number): string {
  let t = text;
  let sign = '';
  if (t.startsWith('-') || t.startsWith('+')) {
    if (t.startsWith('-')) sign = '-';
    t = t.slice(1);
  }
  const [mantissa = '', exponent = '0'] = t.toLowerCase().split('e');
  const [intPart = '', fracPart = ''] = mantissa.split('.');
  let digits = intPart + fracPart;
  let point = intPart.length + Number(exponent) + by;
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead);
  point -= lead;
  digits = digits.replace(/0+$/, '');
  if (digits.length === 0) return sign + '0';
  // Plain notation where String(number) would use it; exponent notation beyond.
  if (point > 21 || point < -5) {
    const e = point - 1;
    return `${sign}${digits[0]}${digits.length > 1 ? '.' + digits.slice(1) : ''}e${e >= 0 ? '+' : ''}${e}`;
  }
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * The percent text of a fraction: its shortest decimal text with the point moved two places, so
 * 0.85 → `85` (never `85.00000000000001`) and the text reads back to exactly the same fraction.
 */
export function percentOf(fraction: number): string {
  return Object.is(fraction, -0) ? '-0' : shiftDecimal(String(fraction), 2);
}

/**
 * `85%` → 0.85, `85.5%` → 0.855. The `%` is required: `0.85` alone is refused, because it is
 * ambiguous (85 % or 0.85 %?). Keywords are in percent, as written in the file.
 */
const percentageText: TextForm<number> = {
  expected: 'a percentage such as 85% or 12.5%',
  parse(text, p) {
    const t = stripOneNewline(text);
    if (!t.endsWith('%')) {
      return bad('BERTH_E_VALUE_TEXT', `${quote(t)} has no % sign`, 'a percentage such as 85% or 12.5%');
    }
    const digits = t.slice(0, -1);
    if (!DECIMAL.test(digits)) {
      return bad(
        'BERTH_E_VALUE_TEXT',
        `${quote(t)} is not a percentage`,
        'a percentage such as 85% or 12.5%',
      );
    }
    // Divide by 100 in the text, not in binary: `12.3%` is exactly the double nearest 0.123.
    const fraction = Number(shiftDecimal(digits, -2));
    if (!Number.isFinite(fraction)) {
      return bad(
        'BERTH_E_VALUE_TEXT',
        `${quote(t)} is out of the range of a 64-bit float`,
        'a finite percentage',
      );
    }
    return checked(fraction, checkNumberKeywords(Number(digits), p.keywords, '%'));
  },
  format(value, p) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return bad(
        'BERTH_E_VALUE_TYPE',
        `A percentage property takes a fraction (0.85 for 85%), not ${describeValue(value)}`,
      );
    }
    const text = percentOf(value);
    return checked(`${text}%`, checkNumberKeywords(Number(text), p.keywords, '%'));
  },
};

/**
 * `type: percentage` — text like `85%` in one file. Range keywords are in percent, as written
 * in the file (`maximum: 100` allows `100%`), not in the fraction the SDK returns.
 */
export const percentageKind: KindDefinition<'percentage', null> = byType<'percentage', null>('percentage', {
  keywords: NUMERIC_KEYWORDS,
  define: (def, ctx) => ({ spec: NO_SPEC, keywords: numericKeywords(def, ctx) }),
  label: nameLabel,
  shape: 'file',
  storage: { form: 'text', text: percentageText },
  model: () => ({ type: 'number', unit: 'fraction' }),
  // Keywords are written in percent; the wire value is the fraction.
  jsonSchema: (p, ctx) => ({
    ...ctx.described(p),
    type: 'number',
    ...numericSchema(p.keywords, (n) => Number(shiftDecimal(String(n), -2))),
  }),
  comparison: comparedBy('numeric', NUMBER_METHODS),
  typescript: () => ({ read: 'number', write: 'number', note: 'a fraction: 0.85 is 85%' }),
});
