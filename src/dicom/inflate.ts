/**
 * The one way berth inflates a deflated data set (Deflated Explicit VR Little Endian,
 * 1.2.840.10008.1.2.1.99), bounded: deflate reaches about 1000 : 1, so half a megabyte of file can
 * declare 512 MiB of pixels. Every inflation has a budget — the declared pixel size
 * (Rows × Columns × SamplesPerPixel × BitsAllocated / 8 × NumberOfFrames) plus
 * {@link INFLATE_HEADER_ALLOWANCE} for everything else, never more than `maxInflatedBytes`
 * ({@link DEFAULT_MAX_INFLATED_BYTES}) — and stops at it with `BERTH_E_DICOM_INFLATE_LIMIT`.
 * The scan inflates headers only, within its own `maxHeaderBytes`.
 */
import { createRegularReadStream } from '../tree/open-regular.js';
import zlib from 'node:zlib';
import { BerthError } from '../errors.js';
import { dicomError } from './errors.js';

/** The most any deflated data set may inflate to, by default: 256 MiB (the gateway's body cap). */
export const DEFAULT_MAX_INFLATED_BYTES = 256 * 2 ** 20;

/** Inflated bytes allowed besides the declared pixel data: the header and anything after. */
export const INFLATE_HEADER_ALLOWANCE = 64 * 2 ** 20;

/** The option every inflating reader takes. */
export interface InflateOptions {
  /** The most a deflated data set may inflate to. Default {@link DEFAULT_MAX_INFLATED_BYTES}. */
  maxInflatedBytes?: number;
}

/** The budget of a data set declaring `pixelBytes` of pixel data (undefined: none declared). */
export function inflateBudget(pixelBytes: number | undefined, options: InflateOptions = {}): number {
  return Math.min(maxInflated(options), (pixelBytes ?? 0) + INFLATE_HEADER_ALLOWANCE);
}

function maxInflated(options: InflateOptions): number {
  const max = options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new BerthError('BERTH_E_USAGE', `maxInflatedBytes must be a positive integer, not ${max}`);
  }
  return max;
}

/** The refusal: `what` says what would pass the budget. */
export function inflateLimitError(
  path: string,
  what: string,
  budget: number,
  expected = `the declared pixel data plus ${INFLATE_HEADER_ALLOWANCE} bytes, at most maxInflatedBytes`,
  cause?: unknown,
): BerthError {
  return dicomError(
    'BERTH_E_DICOM_INFLATE_LIMIT',
    path,
    `The deflated data set ${what}, more than its budget of ${budget} bytes`,
    expected,
    cause,
  );
}

/**
 * Inflates a raw deflate stream (RFC 1951) whole, or as a prefix (`prefix`: a stream cut short
 * gives what it has), refusing beyond `budget` bytes of output.
 */
export function inflateRawBounded(
  deflated: Uint8Array,
  budget: number,
  path: string,
  how: { prefix?: boolean; expected?: string } = {},
): Buffer {
  try {
    return zlib.inflateRawSync(deflated, {
      maxOutputLength: budget,
      ...(how.prefix ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {}),
    });
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw inflateLimitError(path, 'inflates further', budget, how.expected, e);
    }
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      path,
      `The deflated data set cannot be inflated: ${(e as Error).message}`,
      'a raw deflate stream (RFC 1951) after the file meta group',
      e,
    );
  }
}

/** Refuses, before any work, to inflate as far as `end` bytes when that passes `budget`. */
export function checkInflateReach(path: string, end: number, budget: number): void {
  if (end > budget)
    throw inflateLimitError(path, `would inflate to ${end} bytes to reach the end of its pixel data`, budget);
}

/**
 * Inflates the data set of a file from `start` (the end of its meta group) only as far as
 * `[offset, offset + into.length)` of the inflated bytes, copying that range into `into`.
 * Refused before anything is read when the range passes `budget`.
 * @returns how far the inflated stream went (less than the range's end when it stops early).
 */
export async function inflateFileRange(
  path: string,
  start: number,
  offset: number,
  into: Uint8Array,
  budget: number,
): Promise<number> {
  const end = offset + into.length;
  checkInflateReach(path, end, budget);
  let pos = 0;
  const source = createRegularReadStream(path, { start });
  const inflater = zlib.createInflateRaw();
  source.pipe(inflater);
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      const from = Math.max(offset, pos);
      const to = Math.min(end, pos + chunk.length);
      if (to > from) into.set(chunk.subarray(from - pos, to - pos), from - offset);
      pos += chunk.length;
      if (pos >= end) break;
    }
  } catch (e) {
    // A stream that just stops (a cut file) is short data, for the caller; anything else is corrupt.
    if ((e as { code?: unknown }).code !== 'Z_BUF_ERROR') {
      throw dicomError(
        'BERTH_E_DICOM_PARSE',
        path,
        `The deflated data set cannot be inflated: ${(e as Error).message}`,
      );
    }
  } finally {
    source.destroy();
    inflater.destroy();
  }
  return pos;
}
