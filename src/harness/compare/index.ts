/**
 * Comparing a run's actual outputs with the case's expected ones, property by property, each kind
 * in its own way (see the README's *Comparing outputs*):
 *
 * | method | compares | default for |
 * |---|---|---|
 * | `exact` | decoded values; date-times as instants | string, enum, boolean, integer, date-time |
 * | `numeric` | `|a − e| ≤ abs + rel·|e|` (percentages as fractions) | number, percentage |
 * | `hash` | SHA-256 of the bytes | files other than PNG/JPEG |
 * | `image` | decoded pixels: size, `abs` per sample, `maxDiffPixels` | image/png, image/jpeg files |
 * | `allclose` | dtype, shape, elements within `abs`/`rel` | ndarray |
 * | `dice` | Dice per label ≥ `dice` (default 0.99) | ndarray or image with `dice` set |
 * | `dicom` | instances paired without UIDs; attributes minus the volatile ones; pixels | DICOM kinds |
 * | `presence` | only that the output exists | (forced only) |
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { MachineDefinition } from '../../check/manifest.js';
import { toBerthError } from '../../errors.js';
import type { Comparison } from '../types.js';
import { Assets } from './assets.js';
import { Tolerances, type ToleranceMap } from './tolerance.js';
import { walkProperty } from './walk.js';

export { DEFAULT_DICE, checkTolerance, toleranceKey, type ToleranceMap } from './tolerance.js';
export { VOLATILE_ATTRIBUTES } from './dicom-attributes.js';
export { defaultMethod, IMAGE_MIME_TYPES } from './method.js';
export { isClose } from './numeric.js';

/** Options of {@link compareOutputs}. */
export interface CompareOptions {
  /**
   * The case's tolerances, keyed by the output's schema path without `schema-out/` (`confidence`,
   * `measurements/[]/area-mm2`) or by a concrete output path (`measurements/2/area-mm2`, which
   * wins). They override the manifest's `berth: {tolerance}` field by field.
   */
  tolerances?: ToleranceMap;
  /** Where to write expected, actual and diff pictures (images, DICOM thumbnails). */
  assetsDir?: string;
}

/**
 * Compares the output tree `actualDir` with the expected tree `expectedDir`, walking the expected
 * tree by the machine's output schema: only properties present in expected/ are compared. Never
 * throws for bad content — anything unreadable is a failed comparison with a message; a case
 * tolerance naming no output property is a failed comparison too.
 * @throws BerthError BERTH_E_NOT_FOUND when `expectedDir` does not exist.
 */
export async function compareOutputs(
  definition: Pick<MachineDefinition, 'outputs'>,
  expectedDir: string,
  actualDir: string,
  options: CompareOptions = {},
): Promise<Comparison[]> {
  let expectedRoot: string;
  try {
    expectedRoot = await realpath(expectedDir);
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path: expectedDir });
  }
  // A missing output folder is a run that wrote nothing: every expected output is absent.
  const actualRoot = await realpath(actualDir).catch(() => undefined);
  const tolerances = new Tolerances(options.tolerances);
  const out: Comparison[] = [];
  for (const key of tolerances.unknownKeys(definition.outputs)) {
    out.push({
      path: key,
      property: `schema-out/${key.replace(/^schema-out\//, '')}`,
      kind: 'unknown',
      method: 'presence',
      passed: false,
      message: `The case gives a tolerance for ${key}, which is not an output property`,
    });
  }
  const ctx = {
    expectedRoot,
    actualRoot,
    tolerances,
    assets: options.assetsDir === undefined ? undefined : new Assets(path.resolve(options.assetsDir)),
    out,
  };
  for (const p of definition.outputs) {
    await walkProperty(
      p,
      p.name,
      path.join(expectedRoot, p.name),
      actualRoot === undefined ? undefined : path.join(actualRoot, p.name),
      ctx,
    );
  }
  return out;
}

/** True when every comparison passed. */
export function allPassed(comparisons: readonly Comparison[]): boolean {
  return comparisons.every((c) => c.passed);
}
