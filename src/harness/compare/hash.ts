/** `hash`: two files are the same when their SHA-256 content hashes are. */
import { createHash } from 'node:crypto';
import { toBerthError } from '../../errors.js';
import { createRegularReadStream } from '../../tree/open-regular.js';
import type { Comparison } from '../types.js';
import { baseOf, readBoth, type LeafPair } from './context.js';

/** The SHA-256 of a file (hex) and its size, streamed so large files never sit in memory. */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createRegularReadStream(path) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path });
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** The short form of a hashed file: `sha256:0123456789ab… (1234 bytes)`. */
export function hashShort(h: { sha256: string; bytes: number }): string {
  return `sha256:${h.sha256.slice(0, 12)}… (${h.bytes} bytes)`;
}

/** Compares two files by content hash. */
export async function compareHash(pair: LeafPair): Promise<Comparison> {
  const read = await readBoth(pair, 'hash', 'file cannot be read', sha256File, hashShort);
  if (!('e' in read)) return read;
  const { e, a } = read;
  const passed = e.sha256 === a.sha256;
  return {
    ...baseOf(pair.property, pair.path, 'hash', pair.tolerance),
    passed,
    expected: hashShort(e),
    actual: hashShort(a),
    metrics: {
      expectedSha256: e.sha256,
      actualSha256: a.sha256,
      expectedBytes: e.bytes,
      actualBytes: a.bytes,
    },
    ...(passed ? {} : { message: 'The file contents differ' }),
  };
}
