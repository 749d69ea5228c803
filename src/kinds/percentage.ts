import { byType } from './define-helpers.js';
import { describeValue } from './integer.js';
import { NUMERIC_KEYWORDS, numericKeywords } from './keywords.js';
import { parseDecimal } from './number.js';
import { bad, checkNumberKeywords, checked, quote, stripOneNewline, type TextForm } from './value.js';

/**
 * The shortest percent text whose value, divided by 100, is exactly the fraction again:
 * 0.85 → `85` (never `85.00000000000001`).
 */
export function percentOf(fraction: number): string {
  for (let digits = 1; digits <= 17; digits++) {
    const text = String(Number((fraction * 100).toPrecision(digits)));
    if (Number(text) / 100 === fraction) return text;
  }
  return String(fraction * 100);
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
    const percent = parseDecimal(t.slice(0, -1));
    if (typeof percent === 'string') {
      return bad(
        'BERTH_E_VALUE_TEXT',
        `${quote(t)} is not a percentage`,
        'a percentage such as 85% or 12.5%',
      );
    }
    return checked(percent / 100, checkNumberKeywords(percent, p.keywords, '%'));
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
export const percentageKind = byType(
  'percentage',
  NUMERIC_KEYWORDS,
  (def, ctx) => ({ keywords: numericKeywords(def, ctx) }),
  {
    text: percentageText,
  },
);
