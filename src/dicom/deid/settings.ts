/**
 * Where a de-identification's settings come from, shared by `berth deid` and `berth run --deidentify`:
 * the site secret (a file, else $BERTH_DEID_SECRET, else random for the run — never the command line,
 * where `ps` shows it) and keep-list names (keywords or tags).
 */
import { randomBytes } from 'node:crypto';
import { BerthError } from '../../errors.js';
import { resolveTag } from '../dictionary.js';
import { readRegularFile } from '../../tree/open-regular.js';
import { ROWS } from './actions.js';

/** Where a secret came from (reported; the secret itself never is). */
export type SecretSource = 'file' | 'environment' | 'generated';

/** Largest secret file read. */
export const MAX_SECRET_FILE_BYTES = 4096;

/** The secret: `file` when given, else $BERTH_DEID_SECRET, else 32 random bytes. */
export async function deidSecret(
  file: string | undefined,
): Promise<{ secret: Buffer; source: SecretSource }> {
  if (file) {
    const bytes = await readRegularFile(file, { maxBytes: MAX_SECRET_FILE_BYTES });
    return { secret: Buffer.from(bytes), source: 'file' };
  }
  const env = process.env['BERTH_DEID_SECRET'];
  return env
    ? { secret: Buffer.from(env, 'utf8'), source: 'environment' }
    : { secret: randomBytes(32), source: 'generated' };
}

/** A keyword of Table E.1-1 or the dictionary, or a tag; BERTH_E_USAGE otherwise. */
export function keepTag(name: string): number {
  for (const row of ROWS.values()) if (row.keyword === name) return row.tag;
  const tag = resolveTag(name);
  if (tag === undefined)
    throw new BerthError('BERTH_E_USAGE', `--keep ${name} is neither a known keyword nor a tag`);
  return tag;
}
