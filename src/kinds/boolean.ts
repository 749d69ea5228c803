import type { KindDefinition } from './kind.js';
import { asCaseValue, SCALAR_WIRE } from './value-facets.js';
import { byType, comparedBy, nameLabel, NO_SPEC, TEXT_METHODS } from './define-helpers.js';
import { bad, ok, quote, stripOneNewline, type TextForm } from './value.js';

/** Exactly `True` or `False`, as Python's `str(bool)` writes them. */
const booleanText: TextForm<boolean> = {
  expected: 'True or False',
  parse(text) {
    const t = stripOneNewline(text);
    if (t === 'True') return ok(true);
    if (t === 'False') return ok(false);
    return bad('BERTH_E_VALUE_TEXT', `${quote(t)} is not a boolean`, 'True or False');
  },
  format: (value) =>
    typeof value === 'boolean'
      ? ok(value ? 'True' : 'False')
      : bad('BERTH_E_VALUE_TYPE', `A boolean property takes true or false, not ${typeof value}`),
};

/** `type: boolean` — `True` or `False` in one file. */
export const booleanKind: KindDefinition<'boolean', null> = byType<'boolean', null>('boolean', {
  keywords: {},
  define: () => ({ spec: NO_SPEC }),
  label: nameLabel,
  shape: 'file',
  storage: { form: 'text', text: booleanText },
  model: () => ({ type: 'boolean' }),
  jsonSchema: (p, ctx) => ({ ...ctx.described(p), type: 'boolean' }),
  comparison: comparedBy('exact', TEXT_METHODS),
  typescript: () => ({ read: 'boolean', write: 'boolean' }),
  synth: (_p, ctx) => ctx.rand() < 0.5,
  fromCase: asCaseValue,
  wire: SCALAR_WIRE,
});
