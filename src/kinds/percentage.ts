import { byType } from './define-helpers.js';
import { NUMERIC_KEYWORDS, numericKeywords } from './keywords.js';

/**
 * `type: percentage` — text like `85%` in one file. Range keywords are in percent, as written
 * in the file (`maximum: 100` allows `100%`), not in the fraction the SDK returns.
 */
export const percentageKind = byType('percentage', NUMERIC_KEYWORDS, (def, ctx) => ({
  keywords: numericKeywords(def, ctx),
}));
