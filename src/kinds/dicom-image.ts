import { dicomKind } from './dicom-constraints.js';

/** `dicom-type: dicom-image` — one DICOM Part 10 file, named as the property. */
export const dicomImageKind = dicomKind('dicom-image', 'file');
