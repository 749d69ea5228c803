import { byType } from './define-helpers.js';

/** `type: boolean` — `True` or `False` in one file. */
export const booleanKind = byType('boolean', [], () => ({}));
