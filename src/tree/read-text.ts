import { close, fstat, open, read, type Stats } from 'node:fs';
import { BerthError, toBerthError } from '../errors.js';

/** Text value files larger than this are refused (a string output of 16 MiB is already odd). */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;

/** The first read's size: value files (`42`, `True`, `85%`) are almost always smaller. */
const FIRST_READ = 4096;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// The callback API, wrapped by hand: FileHandle promises cost a good part of the time of a
// small read (each call allocates promises and the handle tracks its own closing).
const openFd = (path: string): Promise<number> =>
  new Promise((resolve, reject) => open(path, 'r', (e, fd) => (e ? reject(e) : resolve(fd))));
const readAt = (fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> =>
  new Promise((resolve, reject) =>
    read(fd, buf, offset, length, position, (e, n) => (e ? reject(e) : resolve(n))),
  );
const statFd = (fd: number): Promise<Stats> =>
  new Promise((resolve, reject) => fstat(fd, (e, s) => (e ? reject(e) : resolve(s))));
const closeFd = (fd: number): Promise<void> => new Promise((resolve) => close(fd, () => resolve()));

function tooLarge(path: string, size: number, maxBytes: number): BerthError {
  return new BerthError('BERTH_E_VALUE_TOO_LARGE', `The value file is ${size} bytes`, {
    path,
    expected: `at most ${maxBytes} bytes`,
  });
}

/**
 * Reads a whole text value file, refusing files over `maxBytes` (by size, before reading them)
 * and invalid UTF-8. Errors are BerthErrors with the path.
 *
 * A value file is read with three system calls — open, one read, close — when it is smaller than
 * 4 KiB (a short read of a regular file is its end); only a larger file costs an fstat for its
 * size and further reads. Callers must not pass a FIFO or device (tree walks classify entries
 * first): a read of those would block or never end.
 */
export async function readTextFile(path: string, maxBytes = MAX_TEXT_BYTES): Promise<string> {
  let fd: number | undefined;
  try {
    fd = await openFd(path);
    let buf = Buffer.allocUnsafe(Math.min(FIRST_READ, maxBytes + 1));
    let filled = await readAt(fd, buf, 0, buf.length, 0);
    if (filled === buf.length) {
      // Perhaps more: size it up (and refuse it before reading it when too large).
      const { size } = await statFd(fd);
      if (size > maxBytes) throw tooLarge(path, size, maxBytes);
      const whole = Buffer.allocUnsafe(Math.max(size, filled));
      buf.copy(whole, 0, 0, filled);
      buf = whole;
      while (filled < buf.length) {
        const n = await readAt(fd, buf, filled, buf.length - filled, filled);
        if (n === 0) break;
        filled += n;
      }
      if (filled > maxBytes) throw tooLarge(path, filled, maxBytes);
    }
    try {
      return utf8.decode(buf.subarray(0, filled));
    } catch {
      throw new BerthError('BERTH_E_NOT_UTF8', 'The value file is not valid UTF-8', {
        path,
        expected: 'UTF-8 text',
      });
    }
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path });
  } finally {
    if (fd !== undefined) await closeFd(fd);
  }
}
