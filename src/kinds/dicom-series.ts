import { dicomKind } from './dicom-constraints.js';

/** `dicom-type: dicom-series` — a directory of `<SOPInstanceUID>.dcm` files. */
export const dicomSeriesKind = dicomKind('dicom-series', 'dicom-series');
