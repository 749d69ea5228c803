/**
 * Inflating the whole data set of a deflated Part 10 file held in memory (transcoding, the full
 * parser), within its budget (inflate.ts): the header is scanned first — inflating only as far as
 * the pixel data starts — for the declared pixel size, then the rest is inflated up to it.
 */
import { isBerthError } from '../errors.js';
import { checkInflateReach, inflateBudget, inflateRawBounded, type InflateOptions } from './inflate.js';
import { expectedPixelBytes, scanHeaderBytes, type DicomHeader } from './scan.js';

/**
 * The inflated data set after `metaEnd`.
 * @throws {@link BerthError} BERTH_E_DICOM_INFLATE_LIMIT past the budget, BERTH_E_DICOM_PARSE for
 * a stream that is not raw deflate.
 */
export function inflateDataSet(
  buf: Buffer,
  metaEnd: number,
  path: string,
  options: InflateOptions = {},
): Buffer {
  return inflateRawBounded(buf.subarray(metaEnd), budgetOf(buf, path, options), path);
}

function budgetOf(buf: Buffer, path: string, options: InflateOptions): number {
  let header: DicomHeader;
  try {
    header = scanHeaderBytes(buf, path, { requireUids: false, checkPixelLength: false });
  } catch (e) {
    // A header the scan cannot read is the caller's to report; it gets the allowance alone.
    if (isBerthError(e) && e.code === 'BERTH_E_DICOM_INFLATE_LIMIT') throw e;
    return inflateBudget(undefined, options);
  }
  const pixel = header.pixelData;
  const pixelBytes = pixel ? expectedPixelBytes(header) : undefined;
  const budget = inflateBudget(pixelBytes, options);
  // Pixels declared past the budget are refused before anything more is inflated.
  if (pixel && pixelBytes !== undefined) checkInflateReach(path, pixel.offset + pixelBytes, budget);
  return budget;
}
