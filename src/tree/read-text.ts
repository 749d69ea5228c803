import { open } from 'node:fs/promises';
import { BerthError, toBerthError } from '../errors.js';

/** Text value files larger than this are refused (a string output of 16 MiB is already odd). */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads a whole text value file, refusing files over `maxBytes` (by size, before reading) and
 * invalid UTF-8. Errors are BerthErrors with the path.
 */
export async function readTextFile(path: string, maxBytes = MAX_TEXT_BYTES): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
    const { size } = await fh.stat();
    if (size > maxBytes) {
      throw new BerthError('BERTH_E_VALUE_TOO_LARGE', `The value file is ${size} bytes`, {
        path,
        expected: `at most ${maxBytes} bytes`,
      });
    }
    const buf = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await fh.read(buf, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
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
    await fh?.close();
  }
}
