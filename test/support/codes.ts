/** The error code a call fails with, for tests that assert codes rather than messages. */
import { isBerthError } from '../../src/errors.js';

/** The code of the BerthError `fn` throws; undefined when it returns; a readable text for anything else. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isBerthError(e) ? e.code : `not a BerthError: ${String(e)}`;
  }
  return undefined;
}

/** {@link codeOf} for a promise, or for a function that returns one (or throws at once). */
export async function codeOfAsync(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return isBerthError(e) ? e.code : `not a BerthError: ${String(e)}`;
  }
  return undefined;
}
