/**
 * What every comparison module gets and gives: one expected and one actual entry of a property,
 * the tolerance that applies, and helpers that build {@link Comparison} records.
 */
import { isBerthError } from '../../errors.js';
import type { Property } from '../../kinds/property.js';
import type { Comparison, CompareMethod, Tolerance } from '../types.js';
import type { Assets } from './assets.js';

/** One pair of entries to compare, both present and of the right entry type. */
export interface LeafPair {
  readonly property: Property;
  /** The output path with array indices: `measurements/2/area-mm2`. */
  readonly path: string;
  /** Real paths of the two entries (symlinks inside their trees resolved). */
  readonly expected: string;
  readonly actual: string;
  /** The merged tolerance (manifest, then case). */
  readonly tolerance: Tolerance;
  /** Where images for the report go, when asked for. */
  readonly assets: Assets | undefined;
}

/** The fields every comparison of a property shares. */
export function baseOf(
  property: Property,
  path: string,
  method: CompareMethod,
  tolerance: Tolerance,
): Pick<Comparison, 'path' | 'property' | 'kind' | 'method' | 'tolerance'> {
  return {
    path,
    property: property.path,
    kind: property.kind,
    method,
    ...(Object.keys(tolerance).length > 0 ? { tolerance } : {}),
  };
}

/** A failed comparison with a message (and optionally the short forms seen). */
export function failed(
  pair: Pick<LeafPair, 'property' | 'path' | 'tolerance'>,
  method: CompareMethod,
  message: string,
  extra: Partial<Comparison> = {},
): Comparison {
  return { ...baseOf(pair.property, pair.path, method, pair.tolerance), ...extra, passed: false, message };
}

/** The message of anything thrown, without a stack (BerthErrors carry their own details). */
export function reason(e: unknown): string {
  if (isBerthError(e) || e instanceof Error) return e.message;
  return String(e);
}

/**
 * Reads a pair's expected and actual entries with `read`, or gives the failed comparison that says
 * which of them cannot (`The expected <what>: why`, `what` being `image cannot be decoded`, say);
 * `show` is the expected's short form then.
 */
export async function readBoth<T>(
  pair: LeafPair,
  method: CompareMethod,
  what: string,
  read: (file: string) => Promise<T>,
  show: (expected: T) => string,
): Promise<{ e: T; a: T } | Comparison> {
  let e: T;
  try {
    e = await read(pair.expected);
  } catch (err) {
    return failed(pair, method, `The expected ${what}: ${reason(err)}`);
  }
  try {
    return { e, a: await read(pair.actual) };
  } catch (err) {
    return failed(pair, method, `The actual ${what}: ${reason(err)}`, { expected: show(e) });
  }
}

/** Shortens a text for the `expected`/`actual` short forms of a report. */
export function short(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
