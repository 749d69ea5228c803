import { stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../errors.js';

/** The manifest names looked for in a machine directory, in order. */
export const MANIFEST_NAMES = ['machine.yaml', 'machine.yml', 'machine.json', 'Dockerfile'];

/**
 * The manifest file of a machine given as a directory (its first file named in
 * {@link MANIFEST_NAMES}) or as the manifest itself (returned as given).
 *
 * @throws BerthError BERTH_E_NOT_FOUND when `arg` does not exist, BERTH_E_MANIFEST_NOT_FOUND for a
 *   directory without a manifest.
 */
export async function locateManifest(arg: string): Promise<string> {
  let isDir: boolean;
  try {
    isDir = (await stat(arg)).isDirectory();
  } catch {
    throw new BerthError('BERTH_E_NOT_FOUND', `${arg} does not exist`, {
      path: arg,
      expected: 'a machine directory or its manifest',
    });
  }
  if (!isDir) return arg;
  for (const name of MANIFEST_NAMES) {
    const candidate = path.join(arg, name);
    const isFile = await stat(candidate).then(
      (s) => s.isFile(),
      () => false,
    );
    if (isFile) return candidate;
  }
  throw new BerthError('BERTH_E_MANIFEST_NOT_FOUND', `No manifest in ${arg}`, {
    path: arg,
    expected: MANIFEST_NAMES.join(', '),
  });
}
