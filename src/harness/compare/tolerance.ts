/**
 * Tolerances: where they come from, how they are checked, and which one applies to a property.
 *
 * Sources, lowest precedence first, merged field by field (a later source replaces only the
 * fields it sets):
 * 1. the manifest: the property's own `berth: {tolerance: {...}}`;
 * 2. the case, keyed by the property's schema path without `schema-out/` and with `[]` for array
 *    items: `confidence`, `measurements/[]/area-mm2` (the `schema-out/…` form is accepted too);
 * 3. the case, keyed by the concrete output path with indices: `measurements/2/area-mm2`.
 * A tolerance applies to the property it names only; it is not inherited by members or items.
 */
import { findProperty } from '../../check/manifest.js';
import { resolveTag } from '../../dicom/dictionary.js';
import { isJsonObject } from '../../manifest/document.js';
import type { Property } from '../../kinds/property.js';
import { ARRAY_INDEX } from '../../tree/entry.js';
import type { CompareMethod, Tolerance } from '../types.js';
import { COMPARE_METHODS } from '../../kinds/kind.js';

/** Case tolerances as the harness hands them over. */
export type ToleranceMap = ReadonlyMap<string, Tolerance> | Readonly<Record<string, Tolerance>>;

/** The Dice threshold when a tolerance asks for `method: dice` without `dice`. */
export const DEFAULT_DICE = 0.99;

const METHODS: readonly CompareMethod[] = COMPARE_METHODS;

const FIELDS = new Set(['abs', 'rel', 'maxDiffPixels', 'dice', 'ignore', 'method']);

/** A checked tolerance, or why it cannot be used. */
export type ToleranceCheck = { ok: true; tolerance: Tolerance } | { ok: false; problem: string };

/**
 * Checks a tolerance from a case or a manifest: known fields only, `abs`/`rel` finite and ≥ 0,
 * `maxDiffPixels` an integer ≥ 0, `dice` in [0, 1], `ignore` DICOM keywords or tags, `method`
 * one of the {@link CompareMethod}s.
 */
export function checkTolerance(value: unknown): ToleranceCheck {
  const bad = (problem: string): ToleranceCheck => ({ ok: false, problem });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad('a tolerance must be a mapping such as {abs: 0.01}');
  }
  const t = value as Record<string, unknown>;
  const unknown = Object.keys(t).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) {
    return bad(`unknown tolerance field ${unknown.join(', ')} (known: ${[...FIELDS].join(', ')})`);
  }
  const out: Tolerance = {};
  for (const k of ['abs', 'rel'] as const) {
    const v = t[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return bad(`${k} must be a number ≥ 0`);
    out[k] = v;
  }
  if (t['maxDiffPixels'] !== undefined) {
    const v = t['maxDiffPixels'];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      return bad('maxDiffPixels must be an integer ≥ 0');
    }
    out.maxDiffPixels = v;
  }
  if (t['dice'] !== undefined) {
    const v = t['dice'];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) return bad('dice must be a number from 0 to 1');
    out.dice = v;
  }
  if (t['ignore'] !== undefined) {
    const v = t['ignore'];
    if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) {
      return bad('ignore must be a list of DICOM keywords or tags');
    }
    const unknownTags = v.filter((x) => resolveTag(x) === undefined);
    if (unknownTags.length > 0) {
      return bad(
        `ignore names ${unknownTags.join(', ')}: neither a known DICOM keyword nor a tag (gggg,eeee)`,
      );
    }
    out.ignore = [...v];
  }
  if (t['method'] !== undefined) {
    const v = t['method'];
    if (typeof v !== 'string' || !(METHODS as readonly string[]).includes(v)) {
      return bad(`method must be one of ${METHODS.join(', ')}`);
    }
    out.method = v as CompareMethod;
  }
  return { ok: true, tolerance: out };
}

/** The case key of a property: its schema path without the `schema-out/` prefix. */
export function toleranceKey(p: Property): string {
  return p.path.replace(/^schema-(out|in)\//, '');
}

/** Looks tolerances up for properties, merging the manifest's and the case's. */
export class Tolerances {
  readonly #case: Map<string, Tolerance>;

  constructor(map: ToleranceMap = {}) {
    const entries: [string, Tolerance][] =
      map instanceof Map ? [...(map as ReadonlyMap<string, Tolerance>)] : Object.entries(map);
    // Both spellings of a key land on one entry: `schema-out/a/[]/b` is `a/[]/b`.
    this.#case = new Map(entries.map(([k, v]) => [k.replace(/^schema-out\//, ''), v]));
  }

  /**
   * The tolerance for a property at one output path (indices included), or the problem that
   * stops one of its sources from being used.
   */
  for(p: Property, outputPath: string): ToleranceCheck {
    const sources: [string, unknown][] = [];
    const manifest = isJsonObject(p.berth) ? p.berth['tolerance'] : undefined;
    if (manifest !== undefined) sources.push([`the manifest's berth.tolerance of ${p.path}`, manifest]);
    const key = toleranceKey(p);
    if (this.#case.has(key)) sources.push([`the case tolerance ${key}`, this.#case.get(key)]);
    if (outputPath !== key && this.#case.has(outputPath)) {
      sources.push([`the case tolerance ${outputPath}`, this.#case.get(outputPath)]);
    }
    let merged: Tolerance = {};
    for (const [where, value] of sources) {
      const checked = checkTolerance(value);
      if (!checked.ok) return { ok: false, problem: `${where} is not usable: ${checked.problem}` };
      merged = { ...merged, ...checked.tolerance };
    }
    return { ok: true, tolerance: merged };
  }

  /**
   * Case keys that name no output property (typos, or properties renamed since): a concrete path's
   * numeric segments stand for array items.
   */
  unknownKeys(outputs: readonly Property[]): string[] {
    return [...this.#case.keys()].filter((k) => {
      const schemaPath = k
        .split('/')
        .map((s) => (ARRAY_INDEX.test(s) ? '[]' : s))
        .join('/');
      return findProperty(outputs, schemaPath) === undefined;
    });
  }
}
