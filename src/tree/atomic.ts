/**
 * Atomic file writes: readers see either the old file or the complete new one, never a part.
 *
 * Data goes to a temporary file in the target's own directory (a rename is atomic only within
 * one file system), is flushed to disk with fsync, and is then renamed over the target. On any
 * failure the temporary file is removed and the old target is left as it was.
 */
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { toBerthError } from '../errors.js';
import { closeQuietly, copyRegularFile, openRegular } from './open-regular.js';

/**
 * The name prefix of berth's temporary files. A file with this prefix left in a tree is the
 * remains of a write that was killed before it could clean up; validators report them.
 */
export const ATOMIC_TEMP_PREFIX = '.berth-tmp-';

/**
 * What {@link writeFileAtomic} can write: bytes, text (UTF-8), chunks in memory (written with one
 * `writev`, never joined), or a stream of chunks.
 */
export type AtomicWriteData =
  Uint8Array | string | readonly Uint8Array[] | AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of a newly created file, before the umask (default 0o666). */
  mode?: number;
  /**
   * fsync the file before the rename and the directory after it (default false). The rename alone
   * already makes the write atomic against a crash of the writing process — readers see the old
   * file or the new one, never a part — which is what a machine's outputs need (the platform
   * collects them after the container exits, from the same kernel's page cache). Only an OS crash
   * or power loss needs the fsync, and it costs about as much as the write itself.
   */
  durable?: boolean;
}

/** True when a file name is one of berth's temporary files. */
export function isAtomicTempName(name: string): boolean {
  return name.startsWith(ATOMIC_TEMP_PREFIX);
}

/** The most bytes of the target's name a temporary name keeps (for telling leftovers apart). */
const TEMP_NAME_HINT_BYTES = 64;

/** The longest start of `text` that is at most `max` UTF-8 bytes, never splitting a character. */
function utf8Start(text: string, max: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    bytes += Buffer.byteLength(ch, 'utf8');
    if (bytes > max) break;
    end += ch.length;
  }
  return text.slice(0, end);
}

/**
 * A fresh sibling name for `target` starting with `prefix` (default {@link ATOMIC_TEMP_PREFIX}):
 * the prefix, the first 64 bytes at most of the target's name (so a leftover tells which output
 * it was), the process id and 12 random hex digits — at most about 100 bytes, whatever the
 * target's name. (It once kept the first 100 *characters*: 100 three-byte characters made it
 * longer than the 255-byte limit, and names of 75–85 such characters could never be written.)
 */
export function siblingTempPath(target: string, prefix: string = ATOMIC_TEMP_PREFIX): string {
  const hint = utf8Start(basename(target), TEMP_NAME_HINT_BYTES);
  return join(dirname(target), `${prefix}${hint}.${process.pid}.${randomBytes(6).toString('hex')}`);
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, off, bytes.byteLength - off);
    off += bytesWritten;
  }
}

/** Writes chunks with one writev (libuv resumes a short write itself; the rest is written if not). */
async function writevAll(fh: FileHandle, chunks: readonly Uint8Array[]): Promise<void> {
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const { bytesWritten } = await fh.writev(chunks as Uint8Array[]);
  if (bytesWritten === total) return;
  let skip = bytesWritten;
  for (const c of chunks) {
    if (skip >= c.byteLength) skip -= c.byteLength;
    else {
      await writeAll(fh, c.subarray(skip));
      skip = 0;
    }
  }
}

function isChunkSource(data: AtomicWriteData): data is AsyncIterable<Uint8Array> | NodeJS.ReadableStream {
  return typeof data === 'object' && data !== null && Symbol.asyncIterator in data;
}

async function writeData(fh: FileHandle, data: AtomicWriteData): Promise<void> {
  if (typeof data === 'string') return writeAll(fh, Buffer.from(data, 'utf8'));
  if (data instanceof Uint8Array) return writeAll(fh, data);
  if (Array.isArray(data)) return writevAll(fh, data as readonly Uint8Array[]);
  if (!isChunkSource(data)) throw new TypeError('writeFileAtomic: data must be bytes, a string or a stream');
  for await (const chunk of data as AsyncIterable<Uint8Array | string>) {
    await writeAll(fh, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  }
}

/** A rename is durable only once its directory entry is; some systems refuse to fsync a directory. */
export async function syncDirectory(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Best effort: the file itself is already durable.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

async function makeParent(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path: dir });
  }
}

/**
 * Fills a temporary sibling of `target` and renames it over `target`. `fill` makes the parent
 * folder itself when `parentByFill` (see {@link openTemp}), else it is made first.
 */
async function commit(
  target: string,
  durable: boolean,
  fill: (tmp: string) => Promise<void>,
  parentByFill = false,
): Promise<void> {
  const dir = dirname(target);
  if (!parentByFill) await makeParent(dir);
  const tmp = siblingTempPath(target);
  try {
    await fill(tmp);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw toBerthError(e, 'BERTH_E_IO', { path: target });
  }
  if (durable) await syncDirectory(dir);
}

/**
 * Creates the temporary file; only when its folder is missing (ENOENT) is the folder made and the
 * open tried again — so the usual write into an existing folder costs no mkdir. Nothing of the data
 * has been read at that point, so trying again is safe for streams too.
 */
async function openTemp(tmp: string, mode: number): Promise<FileHandle> {
  try {
    return await open(tmp, 'wx', mode);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
  }
  await makeParent(dirname(tmp));
  return open(tmp, 'wx', mode);
}

/**
 * Writes `data` to `path` atomically, creating parent directories. A failure at any point —
 * including the data stream throwing midway — leaves any old file intact and no temporary file.
 * Errors are {@link BerthError}s (`BERTH_E_IO`, or the stream's own BerthError).
 */
export async function writeFileAtomic(
  path: string,
  data: AtomicWriteData,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const durable = options.durable ?? false;
  const write = async (tmp: string): Promise<void> => {
    const fh = await openTemp(tmp, options.mode ?? 0o666);
    try {
      await writeData(fh, data);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
  };
  await commit(resolve(path), durable, write, true);
}

/**
 * Copies `src` to `dest` atomically (copy-on-write where the file system offers it), creating
 * parent directories of `dest`. A missing `src` is `BERTH_E_NOT_FOUND` naming `src`.
 */
export async function copyFileAtomic(src: string, dest: string): Promise<void> {
  const from = resolve(src);
  // Refused before any folder or temporary file is made when it is missing or not a regular file
  // (a symlink, FIFO or device); the copy below opens it again the same way.
  await openRegular(from).then(({ fd }) => closeQuietly(fd));
  await commit(resolve(dest), true, async (tmp) => {
    await copyRegularFile(from, tmp);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
}
