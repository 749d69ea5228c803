/**
 * The checks a header scan makes on what it found: the UIDs berth needs (and the file meta's
 * copies, read past as warnings), and native pixel data long enough for the image attributes.
 */
import { dicomError } from './errors.js';
import type { HeaderFields, PixelDataLocation } from './header.js';
import type { MetaWarning } from './read-part10.js';
import type { TransferSyntax } from './transfer-syntax.js';

/**
 * Throws when the data set lacks a UID berth needs; returns the meta defects it reads past as
 * warnings (the data set is authoritative, as in dcmtk and pydicom): a missing MediaStorage UID,
 * or one that differs from the data set's.
 */
export function checkUids(
  f: HeaderFields,
  path: string,
  metaWarnings: readonly MetaWarning[],
): readonly MetaWarning[] {
  if (!(f.SOPInstanceUID && f.SOPClassUID && f.StudyInstanceUID && f.SeriesInstanceUID)) {
    const missing = (
      [
        ['SOPInstanceUID', f.SOPInstanceUID],
        ['SOPClassUID', f.SOPClassUID],
        ['StudyInstanceUID', f.StudyInstanceUID],
        ['SeriesInstanceUID', f.SeriesInstanceUID],
      ] as const
    )
      .filter(([, v]) => !v)
      .map(([k]) => k);
    throw dicomError(
      'BERTH_E_MISSING_ATTRIBUTE',
      path,
      `The DICOM file has no ${missing.join(', ')}`,
      `${missing.join(', ')} present and non-empty`,
    );
  }
  if (
    metaWarnings.length === 0 &&
    f.MediaStorageSOPInstanceUID === f.SOPInstanceUID &&
    f.MediaStorageSOPClassUID === f.SOPClassUID
  ) {
    return metaWarnings; // the well-formed file: nothing allocated
  }
  return [...metaWarnings, ...metaUidWarnings(f)];
}

function metaUidWarnings(f: HeaderFields): MetaWarning[] {
  const out: MetaWarning[] = [];
  const pairs = [
    ['MediaStorageSOPInstanceUID', f.MediaStorageSOPInstanceUID, 'SOPInstanceUID', f.SOPInstanceUID],
    ['MediaStorageSOPClassUID', f.MediaStorageSOPClassUID, 'SOPClassUID', f.SOPClassUID],
  ] as const;
  for (const [metaName, metaValue, ownName, own] of pairs) {
    if (metaValue === undefined || metaValue === '') {
      out.push({
        code: 'BERTH_E_DICOM_META_MISSING',
        message: `The file meta group has no ${metaName}; the data set's ${ownName} ${own} is used`,
      });
    } else if (metaValue !== own) {
      out.push({
        code: 'BERTH_E_DICOM_META_MISMATCH',
        message: `${metaName} ${metaValue} differs from ${ownName} ${own}; the data set's is used`,
      });
    }
  }
  return out;
}

/**
 * Bytes of native pixel data the image attributes call for; undefined when they are missing.
 * YBR_FULL_422 stores two samples a pixel (PS3.3 C.7.6.3.1.2: Y Y Cb Cr for each pair).
 */
export function expectedPixelBytes(f: {
  Rows?: number;
  Columns?: number;
  BitsAllocated?: number;
  SamplesPerPixel?: number;
  NumberOfFrames?: number;
  PhotometricInterpretation?: string;
}): number | undefined {
  if (f.Rows === undefined || f.Columns === undefined || f.BitsAllocated === undefined) return undefined;
  const samples = f.SamplesPerPixel ?? 1;
  const perPixel = f.PhotometricInterpretation === 'YBR_FULL_422' && samples === 3 ? 2 : samples;
  const bits = f.Rows * f.Columns * perPixel * (f.NumberOfFrames ?? 1) * f.BitsAllocated;
  return Math.ceil(bits / 8);
}

export function checkPixelLength(
  f: HeaderFields,
  pixel: PixelDataLocation,
  ts: TransferSyntax,
  fileSize: number,
  path: string,
): void {
  if (ts.encapsulated) return;
  if (pixel.length === undefined) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      path,
      `Pixel data has undefined length in the native transfer syntax ${ts.name}`,
      'a defined length for native pixel data',
    );
  }
  if (f.Rows === undefined || f.Columns === undefined || f.BitsAllocated === undefined) {
    const missing = (['Rows', 'Columns', 'BitsAllocated'] as const).filter((k) => f[k] === undefined);
    throw dicomError(
      'BERTH_E_MISSING_ATTRIBUTE',
      path,
      `The image has pixel data but no ${missing.join(', ')}`,
      'Rows, Columns and BitsAllocated with pixel data',
    );
  }
  const expected = expectedPixelBytes(f)!;
  if (pixel.length < expected) {
    const dims = `${f.Rows} × ${f.Columns} × ${f.BitsAllocated}/8 × ${f.SamplesPerPixel ?? 1} × ${f.NumberOfFrames ?? 1}`;
    throw dicomError(
      'BERTH_E_PIXEL_LENGTH',
      path,
      `The pixel data is ${pixel.length} bytes, shorter than Rows × Columns × BitsAllocated/8 × SamplesPerPixel × NumberOfFrames = ${dims} = ${expected}`,
      `at least ${expected} bytes of pixel data`,
    );
  }
  if (!ts.deflated && pixel.offset + pixel.length > fileSize) {
    throw dicomError(
      'BERTH_E_PIXEL_LENGTH',
      path,
      `The file ends ${fileSize - pixel.offset} bytes into the pixel data, which declares ${pixel.length} bytes`,
      `a file of ${pixel.offset + pixel.length} bytes`,
    );
  }
}
