import { byType } from './define-helpers.js';
import { NUMERIC_KEYWORDS, numericKeywords } from './keywords.js';

/** `type: integer` — decimal integer text in one file. */
export const integerKind = byType('integer', NUMERIC_KEYWORDS, (def, ctx) => ({
  keywords: numericKeywords(def, ctx),
}));
