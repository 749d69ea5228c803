/**
 * Writing .npy files: the header numpy writes, then the array's own bytes.
 */
import type { AtomicWriteOptions } from '../tree/atomic.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { allocBytes, asBytes } from './ndarray.js';
import type { NdArray } from './ndarray.js';
import { encodeNpyHeader } from './npy-header.js';

/** The whole .npy file for an array, in memory (one copy of the data). */
export function encodeNpy(arr: NdArray): Uint8Array {
  const header = encodeNpyHeader(arr);
  const out = allocBytes(header.byteLength + arr.data.byteLength);
  out.set(header, 0);
  out.set(asBytes(arr), header.byteLength);
  return out;
}

/**
 * Writes an array as a .npy file, atomically (temporary file, fsync, rename): the header, then
 * the array's own bytes with no copy. `options` go to {@link writeFileAtomic}.
 */
export async function writeNpy(path: string, arr: NdArray, options: AtomicWriteOptions = {}): Promise<void> {
  const header = encodeNpyHeader(arr);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield header;
    yield asBytes(arr);
  }
  await writeFileAtomic(path, chunks(), options);
}
