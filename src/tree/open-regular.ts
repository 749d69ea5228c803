/**
 * The one way berth opens a file a machine (or anyone else) may have written: no-follow,
 * non-blocking, and classified by `fstat` on the descriptor it opened — regular files only.
 *
 * Classifying a path first (lstat) and opening it afterwards leaves a window in which the entry
 * can be swapped: to a FIFO, and the open blocks a libuv thread forever; to a symlink, and a host
 * file the machine cannot read itself is read by berth and shown in its reports. Opening with
 * O_NOFOLLOW never follows a final symlink (the open fails with ELOOP), O_NONBLOCK makes the open
 * of a FIFO return at once, and the fstat of the opened descriptor says what was really opened.
 * libuv adds O_CLOEXEC to every open, so no descriptor leaks into a child process.
 *
 * Symlinks inside a tree that point inside it are resolved by the tree walks
 * ({@link classifyEntry}) and the real path is then opened here, so the final open never follows.
 */
import {
  close,
  closeSync,
  constants,
  createReadStream,
  createWriteStream,
  existsSync,
  fstat,
  fstatSync,
  open,
  openSync,
  read,
  type ReadStream,
  type Stats,
} from 'node:fs';
import { copyFile, open as openHandle, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { BerthError, toBerthError } from '../errors.js';

/** O_RDONLY | O_NOFOLLOW | O_NONBLOCK: the flags of every read of a machine-written entry. */
export const READ_NOFOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** What an open of a hostile entry found, when it is not a regular file. */
export function notRegularError(path: string, stats: Stats): BerthError {
  if (stats.isDirectory()) {
    return new BerthError('BERTH_E_TREE_NOT_FILE', 'The entry is a directory', {
      path,
      expected: 'a regular file',
    });
  }
  const what = stats.isFIFO()
    ? 'a FIFO'
    : stats.isSocket()
      ? 'a socket'
      : stats.isCharacterDevice() || stats.isBlockDevice()
        ? 'a device'
        : 'not a regular file';
  return new BerthError('BERTH_E_TREE_SPECIAL', `The entry is ${what}, which berth never reads`, {
    path,
    expected: 'a regular file',
  });
}

/** The error of a failed no-follow open: a symlink is BERTH_E_TREE_SYMLINK, anything else as usual. */
export function openError(path: string, e: unknown): BerthError {
  const code = (e as { code?: unknown } | null)?.code;
  // Linux says ELOOP for O_NOFOLLOW on a symlink; FreeBSD says EMLINK.
  if (code === 'ELOOP' || code === 'EMLINK') {
    return new BerthError(
      'BERTH_E_TREE_SYMLINK',
      'The entry is a symbolic link, which berth does not follow here',
      {
        path,
        expected: 'a regular file',
        cause: e,
      },
    );
  }
  // A socket cannot be opened at all (ENXIO): it is a special file like a FIFO.
  if (code === 'ENXIO') {
    return new BerthError('BERTH_E_TREE_SPECIAL', 'The entry is a socket, which berth never reads', {
      path,
      expected: 'a regular file',
      cause: e,
    });
  }
  return toBerthError(e, 'BERTH_E_IO', { path });
}

/**
 * Opens `path` for reading when it is a regular file, callback style (the cheapest: tree walks
 * call it for every value file). The callback gets the open descriptor and its fstat, or a
 * BerthError (`BERTH_E_TREE_SYMLINK`, `BERTH_E_TREE_SPECIAL`, `BERTH_E_TREE_NOT_FILE`,
 * `BERTH_E_NOT_FOUND`, `BERTH_E_IO`) with nothing left open.
 */
export function openRegularCallback(
  path: string,
  done: (error: BerthError | null, fd: number, stats: Stats | undefined) => void,
): void {
  open(path, READ_NOFOLLOW, (openFailure, fd) => {
    if (openFailure) return done(openError(path, openFailure), -1, undefined);
    fstat(fd, (statFailure, stats) => {
      if (statFailure || !stats.isFile()) {
        const error = statFailure
          ? toBerthError(statFailure, 'BERTH_E_IO', { path })
          : notRegularError(path, stats);
        close(fd, () => done(error, -1, undefined));
        return;
      }
      done(null, fd, stats);
    });
  });
}

/** {@link openRegularCallback}, synchronously (for synchronous scans of many warm files). */
export function openRegularSync(path: string): { fd: number; stats: Stats } {
  let fd: number;
  try {
    fd = openSync(path, READ_NOFOLLOW);
  } catch (e) {
    throw openError(path, e);
  }
  let stats: Stats;
  try {
    stats = fstatSync(fd);
  } catch (e) {
    closeSync(fd);
    throw toBerthError(e, 'BERTH_E_IO', { path });
  }
  if (!stats.isFile()) {
    closeSync(fd);
    throw notRegularError(path, stats);
  }
  return { fd, stats };
}

/** {@link openRegularCallback} as a promise. The caller closes `fd`. */
export function openRegular(path: string): Promise<{ fd: number; stats: Stats }> {
  return new Promise((resolve, reject) =>
    openRegularCallback(path, (e, fd, stats) => (e ? reject(e) : resolve({ fd, stats: stats! }))),
  );
}

/** {@link openRegular} as a promises-API FileHandle, for readers written with it. */
export async function openRegularHandle(path: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await openHandle(path, READ_NOFOLLOW);
  } catch (e) {
    throw openError(path, e);
  }
  let stats: Stats;
  try {
    stats = await fh.stat();
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw toBerthError(e, 'BERTH_E_IO', { path });
  }
  if (!stats.isFile()) {
    await fh.close().catch(() => undefined);
    throw notRegularError(path, stats);
  }
  return fh;
}

/** Closes a descriptor, ignoring errors (the read is over either way). */
export function closeQuietly(fd: number): Promise<void> {
  return new Promise((resolve) => close(fd, () => resolve()));
}

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export async function readAt(
  fd: number,
  buf: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  let filled = 0;
  while (filled < length) {
    const n = await new Promise<number>((resolve, reject) =>
      read(fd, buf, offset + filled, length - filled, position + filled, (e, k) =>
        e ? reject(e) : resolve(k),
      ),
    );
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

/** Options of {@link readRegularFile}. */
export interface ReadRegularOptions {
  /** Refuse a larger file (by its size, before reading) with BERTH_E_TOO_LARGE. */
  maxBytes?: number;
  /** Read only this many bytes from the start, whatever the size. */
  firstBytes?: number;
}

/** Reads a whole regular file (see {@link ReadRegularOptions}). Errors are BerthErrors with the path. */
export async function readRegularFile(path: string, options: ReadRegularOptions = {}): Promise<Buffer> {
  const { fd, stats } = await openRegular(path);
  try {
    const max = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    if (stats.size > max) {
      throw new BerthError('BERTH_E_TOO_LARGE', `The file is ${stats.size} bytes`, {
        path,
        expected: `at most ${max} bytes`,
      });
    }
    const length = Math.min(stats.size, options.firstBytes ?? stats.size);
    const buf = Buffer.allocUnsafe(length);
    return buf.subarray(0, await readAt(fd, buf, 0, length, 0));
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path });
  } finally {
    await closeQuietly(fd);
  }
}

type StreamOptions = { start?: number; end?: number; highWaterMark?: number };

/**
 * A read stream over a regular file, opened as {@link openRegular} does: a symlink, FIFO,
 * socket, device or directory makes the stream emit the BerthError instead of any data.
 */
export function createRegularReadStream(path: string, options: StreamOptions = {}): ReadStream {
  const fsOverride = {
    open(p: string, _flags: unknown, _mode: unknown, cb: (e: Error | null, fd?: number) => void): void {
      openRegularCallback(p, (e, fd) => (e ? cb(e) : cb(null, fd)));
    },
    read,
    close,
  };
  return createReadStream(path, { ...options, fs: fsOverride } as Parameters<typeof createReadStream>[1]);
}

const PROC_FD = existsSync('/proc/self/fd');

/**
 * Copies the regular file `src` to `dest` (created, never overwritten: `dest` must not exist),
 * opening `src` as {@link openRegular} does. The copy is made from the opened descriptor — through
 * `/proc/self/fd/N` where there is one, so the kernel's copy (or a copy-on-write clone) still
 * applies — never from the path again, so a swap after the open changes nothing.
 */
export async function copyRegularFile(src: string, dest: string): Promise<void> {
  const { fd } = await openRegular(src);
  try {
    if (PROC_FD) {
      await copyFile(`/proc/self/fd/${fd}`, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    } else {
      await pipeline(
        createReadStream('', { fd, autoClose: false, start: 0 }),
        createWriteStream(dest, { flags: 'wx' }),
      );
    }
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path: src });
  } finally {
    await closeQuietly(fd);
  }
}
