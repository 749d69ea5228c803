import { byType } from './define-helpers.js';
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
export const booleanKind = byType('boolean', [], () => ({}), {
  text: booleanText,
  typescript: () => ({ read: 'boolean', write: 'boolean' }),
});
