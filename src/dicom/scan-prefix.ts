/**
 * Prefix I/O of a header scan: the file opened (regular files only, no-follow), its first bytes read
 * into a window, the window grown when the header is longer, and I/O failures turned into codes.
 */
import fs from 'node:fs';
import { BerthError, isBerthError } from '../errors.js';
import { openRegular } from '../tree/open-regular.js';
import { dicomError } from './errors.js';

/** The next prefix size: ×4, or just past what the scan needs; refused past `max`. */
export function nextSize(
  current: number,
  needEnd: number,
  fileSize: number,
  max: number,
  path: string,
): number {
  if (current >= max) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      path,
      `The header runs past ${max} bytes without reaching the pixel data`,
      'a header within maxHeaderBytes (a scan option)',
    );
  }
  return Math.min(fileSize, max, Math.max(current * 4, needEnd + 16384));
}

/** Reads `want` bytes from the start of the file, or up to its end. */
export function readFully(fd: number, buf: Buffer, want: number): number {
  let n = 0;
  while (n < want) {
    const got = fs.readSync(fd, buf, n, want - n, n);
    if (got === 0) break;
    n += got;
  }
  return n;
}

// The callback API: about twice as fast per file as fs.promises' FileHandle, which matters when
// the whole job is a few small reads per file.
export function openAsync(path: string): Promise<number> {
  return openRegular(path).then((o) => o.fd);
}
export function fstatAsync(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fs.fstat(fd, (e, st) => (e ? reject(e) : resolve(st.size))));
}
export function readAsync(fd: number, buf: Buffer, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(fd, buf, offset, length, offset, (e, n) => (e ? reject(e) : resolve(n))),
  );
}

/** An I/O failure as a berth error: NOT_FOUND for a missing file, else IO. */
export function ioError(e: unknown, path: string): BerthError {
  if (isBerthError(e)) return e; // a symlink, FIFO or device refused by the opener
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return new BerthError('BERTH_E_NOT_FOUND', `No such file`, { path, cause: e });
  return new BerthError('BERTH_E_IO', `Cannot read the file: ${(e as Error).message}`, { path, cause: e });
}
