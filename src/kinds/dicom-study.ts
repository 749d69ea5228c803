import { dicomKind } from './dicom-constraints.js';

/** `dicom-type: dicom-study` — a directory of `<SeriesInstanceUID>/<SOPInstanceUID>.dcm`. */
export const dicomStudyKind = dicomKind('dicom-study', 'dicom-study');
