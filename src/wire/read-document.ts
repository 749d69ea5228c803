/**
 * A document's bytes from a file or a stream (stdin), never more than the size limit: a file larger
 * than it is refused by its size before reading, a stream is read only until it passes the limit.
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { BerthError, toBerthError } from '../errors.js';
import { DEFAULT_MAX_BYTES } from './case-format.js';

function tooLarge(where: string, size: string, maxBytes: number): BerthError {
  return new BerthError('BERTH_E_TOO_LARGE', `The document is ${size} bytes`, {
    path: where,
    expected: `at most ${maxBytes} bytes`,
  });
}

/**
 * Reads a whole stream into one Buffer, stopping (and destroying the stream) as soon as it has
 * given more than `maxBytes`: `BERTH_E_TOO_LARGE`. `where` names the stream in errors (`-`).
 */
export async function readDocumentStream(
  stream: Readable,
  where: string,
  maxBytes = DEFAULT_MAX_BYTES,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += c.byteLength;
    if (total > maxBytes) {
      stream.destroy();
      throw tooLarge(where, `more than ${maxBytes}`, maxBytes);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Reads a document file, refusing one larger than `maxBytes` by its size (fstat on the opened
 * descriptor) before reading it; a pipe is read only until it passes the limit.
 */
export async function readDocumentFile(file: string, maxBytes = DEFAULT_MAX_BYTES): Promise<Buffer> {
  const fh = await open(file, 'r').catch((e: unknown) => {
    throw toBerthError(e, 'BERTH_E_IO', { path: file });
  });
  try {
    const st = await fh.stat();
    // A pipe (`<(…)` in a shell) has no size to trust: read it as a stream, to the limit.
    if (!st.isFile())
      return await readDocumentStream(fh.createReadStream({ autoClose: false }), file, maxBytes);
    if (st.size > maxBytes) throw tooLarge(file, String(st.size), maxBytes);
    // The file may still grow while read: read at most one byte past the limit.
    const buf = Buffer.allocUnsafe(st.size + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, filled, buf.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buf.length) {
        if (filled > maxBytes) throw tooLarge(file, `more than ${maxBytes}`, maxBytes);
        break;
      }
    }
    return buf.subarray(0, Math.min(filled, st.size));
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path: file });
  } finally {
    await fh.close().catch(() => undefined);
  }
}
