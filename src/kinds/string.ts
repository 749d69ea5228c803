import { byType } from './define-helpers.js';
import { textKeywords } from './keywords.js';

/** `type: string` — UTF-8 text in one file. */
export const stringKind = byType('string', ['minLength', 'maxLength', 'pattern', 'format'], (def, ctx) => ({
  keywords: textKeywords(def, ctx),
}));
