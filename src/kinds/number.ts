import { byType } from './define-helpers.js';
import { NUMERIC_KEYWORDS, numericKeywords } from './keywords.js';

/** `type: number` — decimal number text in one file. */
export const numberKind = byType('number', NUMERIC_KEYWORDS, (def, ctx) => ({
  keywords: numericKeywords(def, ctx),
}));
