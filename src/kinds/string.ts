import type { KindDefinition } from './kind.js';
import { asCaseValue, SCALAR_WIRE } from './value-facets.js';
import { byType, comparedBy, nameLabel, NO_SPEC, pickKeywords, TEXT_METHODS } from './define-helpers.js';
import { COUNT_SCHEMA, textKeywords } from './keywords.js';
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
export const stringKind: KindDefinition<'string', null> = byType<'string', null>('string', {
  keywords: {
    minLength: COUNT_SCHEMA,
    maxLength: COUNT_SCHEMA,
    pattern: { type: 'string', format: 'regex' },
    format: { type: 'string' },
  },
  define: (def, ctx) => ({ spec: NO_SPEC, keywords: textKeywords(def, ctx) }),
  label: nameLabel,
  shape: 'file',
  storage: { form: 'text', text: stringText },
  model: () => ({ type: 'text' }),
  jsonSchema: (p, ctx) => ({
    ...ctx.described(p),
    type: 'string',
    ...pickKeywords(p.keywords, ['minLength', 'maxLength', 'pattern', 'format']),
  }),
  comparison: comparedBy('exact', TEXT_METHODS),
  typescript: () => ({ read: 'string', write: 'string' }),
  async synth(p, ctx) {
    const { synthString } = await import('./synth-strings.js');
    return synthString(p, ctx.rand);
  },
  fromCase: asCaseValue,
  wire: SCALAR_WIRE,
});
