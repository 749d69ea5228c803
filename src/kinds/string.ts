import { byType } from './define-helpers.js';
import { textKeywords } from './keywords.js';
import { bad, checkTextKeywords, checked, type TextForm } from './value.js';

/** Strings are read byte for byte (no newline is dropped) and must be well-formed Unicode. */
const stringText: TextForm<string> = {
  expected: 'UTF-8 text',
  parse: (text, p) => checked(text, checkTextKeywords(text, p.keywords)),
  format(value, p) {
    if (typeof value !== 'string')
      return bad('BERTH_E_VALUE_TYPE', `A string property takes a string, not ${typeof value}`);
    if (!value.isWellFormed())
      return bad('BERTH_E_VALUE_TYPE', 'The string has a lone surrogate; it has no UTF-8 form');
    return checked(value, checkTextKeywords(value, p.keywords));
  },
};

/** `type: string` — UTF-8 text in one file. */
export const stringKind = byType(
  'string',
  ['minLength', 'maxLength', 'pattern', 'format'],
  (def, ctx) => ({ keywords: textKeywords(def, ctx) }),
  { text: stringText, typescript: () => ({ read: 'string', write: 'string' }) },
);
