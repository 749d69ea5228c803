import { dicomKind } from './dicom-constraints.js';
import type { KindDefinition } from './property.js';

/** How a study is typed in generated code: read as a `DicomStudy` handle, written as a list of instances. */
export const dicomStudyTypes: KindDefinition['typescript'] = (_p, t) => ({
  read: t.berth('DicomStudy'),
  write: t.arrayOf(t.berth('DicomSource')),
});

/** `dicom-type: dicom-study` — a directory of `<SeriesInstanceUID>/<SOPInstanceUID>.dcm`. */
export const dicomStudyKind = dicomKind('dicom-study', 'dicom-study', dicomStudyTypes);
