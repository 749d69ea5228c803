import { isBerthError } from '../../errors.js';

/** Anything thrown, as one line for a report (a BerthError's own message, or the error's). */
export function errorText(e: unknown): string {
  if (isBerthError(e)) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
