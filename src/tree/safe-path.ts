import path from 'node:path';
import { realpath } from 'node:fs/promises';
import { BerthError } from '../errors.js';

// Control characters are exactly what this pattern is for.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a string is not a safe single path segment, or undefined when it is. */
export function segmentProblem(segment: string): string | undefined {
  if (segment.length === 0) return 'is empty';
  if (segment === '.' || segment === '..') return 'is . or ..';
  if (segment.includes('/') || segment.includes('\\')) return 'contains a slash or backslash';
  if (CONTROL.test(segment)) return 'contains a NUL or control character';
  if (Buffer.byteLength(segment, 'utf8') > 255) return 'is longer than 255 bytes';
  return undefined;
}

/**
 * Joins single path segments under a root, refusing any segment that could escape it or name
 * something other than one entry (`..`, slashes, NUL). Segments come from property names, array
 * indices and DICOM UIDs, all of which are input data.
 */
export function safeJoin(root: string, ...segments: readonly (string | number)[]): string {
  let out = path.resolve(root);
  for (const raw of segments) {
    const segment = String(raw);
    const problem = segmentProblem(segment);
    if (problem) {
      throw new BerthError('BERTH_E_PROPERTY_NAME', `Path segment ${JSON.stringify(segment)} ${problem}`, {
        path: root,
        expected: 'a single path segment that stays under its root',
      });
    }
    out = path.join(out, segment);
  }
  return out;
}

/** True when `candidate` is `root` or lies under it (both resolved, no symlink resolution). */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(candidate));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolves symlinks in `candidate` and checks that the real path stays under the real root.
 * Returns the real path, or undefined when it escapes (or does not exist).
 */
export async function realPathInside(root: string, candidate: string): Promise<string | undefined> {
  try {
    const [realRoot, real] = await Promise.all([realpath(root), realpath(candidate)]);
    return isInside(realRoot, real) ? real : undefined;
  } catch {
    return undefined;
  }
}
