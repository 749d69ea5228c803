/**
 * Sends a run's DICOM outputs to a DICOMweb service by STOW-RS: one `POST <root>/studies` with a
 * `multipart/related; type="application/dicom"` body streamed from the files, on Node's fetch.
 * 200 is success; 401 and 403 reject with BERTH_E_LISTEN_DEST_AUTH, 202 (some instances failed),
 * 409 (all failed) and anything else with BERTH_E_LISTEN_DELIVERY: each is retried.
 */
import { randomBytes } from 'node:crypto';
import { BerthError } from '../errors.js';
import { createRegularReadStream } from '../tree/open-regular.js';

/** The body of the request: each file a part, streamed. */
async function* multipart(files: readonly string[], boundary: string): AsyncGenerator<Uint8Array> {
  for (const file of files) {
    yield Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, 'latin1');
    for await (const chunk of createRegularReadStream(file)) yield chunk as Buffer;
    yield Buffer.from('\r\n', 'latin1');
  }
  yield Buffer.from(`--${boundary}--\r\n`, 'latin1');
}

/** The most bytes of a STOW-RS answer berth reads (for the log); the rest is never read. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The first `max` bytes of a response body, as text; the rest is cancelled. */
async function head(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // a broken answer: what was read is enough
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/** The STOW-RS URL of a DICOMweb service root (`…/dicom-web` → `…/dicom-web/studies`). */
export function stowUrl(root: URL): URL {
  const url = new URL(root.href);
  url.pathname = url.pathname.replace(/\/+$/, '') + '/studies';
  return url;
}

/**
 * POSTs `files` to the service root `root` (with `Authorization: Bearer <token>` when given);
 * resolves when the service stored every one.
 */
export async function stowFiles(
  root: URL,
  files: readonly string[],
  timeoutMs = 60_000,
  token?: string,
): Promise<void> {
  if (files.length === 0) return;
  const boundary = `berth-${randomBytes(12).toString('hex')}`;
  const url = stowUrl(root);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
        accept: 'application/dicom+json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: ReadableStream.from(multipart(files, boundary)),
      duplex: 'half',
      signal: AbortSignal.timeout(timeoutMs),
    } as RequestInit);
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw failed(url, cause ?? (e as Error).message);
  }
  const text = await head(response, MAX_ANSWER_BYTES);
  if (response.status === 401 || response.status === 403) {
    throw new BerthError(
      'BERTH_E_LISTEN_DEST_AUTH',
      `STOW-RS to ${url.href}: HTTP ${response.status}, ${token === undefined ? 'no token given (--dest-token-file)' : 'the token was refused'}`,
    );
  }
  if (response.status !== 200) {
    throw failed(url, `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
  }
}

function failed(url: URL, why: string): BerthError {
  return new BerthError('BERTH_E_LISTEN_DELIVERY', `STOW-RS to ${url.href} failed: ${why}`);
}
