import { close, read } from 'node:fs';
import { BerthError, toBerthError } from '../errors.js';
import { openRegularCallback, readAt } from './open-regular.js';

/** Text value files larger than this are refused (a string output of 16 MiB is already odd). */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;

/** The first read's size: value files (`42`, `True`, `85%`) are almost always smaller. */
const FIRST_READ = 4096;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// First-read buffers are reused: a walk over 10,000 value files would otherwise allocate (and
// collect) 40 MB of 4 KiB buffers. The text is decoded into a string before a buffer goes back.
const spare: Buffer[] = [];
const MAX_SPARE = 256;

function takeBuffer(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(FIRST_READ);
}

function giveBuffer(buf: Buffer): void {
  if (spare.length < MAX_SPARE) spare.push(buf);
}

function tooLarge(path: string, size: number, maxBytes: number): BerthError {
  return new BerthError('BERTH_E_VALUE_TOO_LARGE', `The value file is ${size} bytes`, {
    path,
    expected: `at most ${maxBytes} bytes`,
  });
}

function decode(path: string, bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new BerthError('BERTH_E_NOT_UTF8', 'The value file is not valid UTF-8', {
      path,
      expected: 'UTF-8 text',
    });
  }
}

/**
 * Reads a whole text value file, refusing files over `maxBytes` (by size, before reading them)
 * and invalid UTF-8. Errors are BerthErrors with the path.
 *
 * The file is opened with {@link openRegularCallback}: no-follow and non-blocking, classified by
 * fstat on the opened descriptor, so an entry swapped for a symlink, FIFO or device after a walk
 * classified it is refused (BERTH_E_TREE_SYMLINK / BERTH_E_TREE_SPECIAL), never read or waited on.
 * A file smaller than 4 KiB — nearly every value file — costs four system calls (open, fstat,
 * one read, close) and one promise, written with the callback API because FileHandle promises
 * cost a good part of the time of such a small read.
 */
export function readTextFile(path: string, maxBytes = MAX_TEXT_BYTES): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const fail = (e: unknown): void => reject(toBerthError(e, 'BERTH_E_IO', { path }));
    openRegularCallback(path, (openFailure, fd, stats) => {
      if (openFailure) return fail(openFailure);
      if (stats!.size > maxBytes) {
        close(fd, () => fail(tooLarge(path, stats!.size, maxBytes)));
        return;
      }
      const first = maxBytes + 1 >= FIRST_READ ? takeBuffer() : Buffer.allocUnsafe(maxBytes + 1);
      read(fd, first, 0, first.length, 0, (readError, n) => {
        if (readError || n < first.length) {
          // The whole file (or an error): decode, give the buffer back, close, answer.
          let text: string | undefined;
          let error: unknown = readError;
          if (!readError) {
            try {
              text = decode(path, first.subarray(0, n));
            } catch (e) {
              error = e;
            }
          }
          if (first.length === FIRST_READ) giveBuffer(first);
          close(fd, () => (error === null || error === undefined ? resolve(text!) : fail(error)));
          return;
        }
        readRest(fd, path, first, stats!.size, maxBytes).then(
          (text) => close(fd, () => resolve(text)),
          (e: unknown) => close(fd, () => fail(e)),
        );
      });
    });
  });
}

/** The slow path: the first read filled its buffer, so read the rest (the file may have grown). */
async function readRest(
  fd: number,
  path: string,
  first: Buffer,
  size: number,
  maxBytes: number,
): Promise<string> {
  const filled0 = first.length;
  const buf = Buffer.allocUnsafe(Math.min(Math.max(size, filled0), maxBytes + 1));
  first.copy(buf, 0, 0, filled0);
  if (first.length === FIRST_READ) giveBuffer(first);
  const filled = filled0 + (await readAt(fd, buf, filled0, buf.length - filled0, filled0));
  if (filled > maxBytes) throw tooLarge(path, filled, maxBytes);
  return decode(path, buf.subarray(0, filled));
}
