import { byType } from './define-helpers.js';

/** `type: date-time` — one ISO-8601 date-time in one file. */
export const dateTimeKind = byType('date-time', [], () => ({}));
