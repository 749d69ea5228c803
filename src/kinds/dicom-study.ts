import { dicomKind } from './dicom-constraints.js';
import type { DicomSpec } from './dicom-constraints.js';
import type { KindDefinition } from './kind.js';

/** How a study is typed in generated code: read as a `DicomStudy` handle, written as a list of instances. */
export const dicomStudyTypes: KindDefinition<string, DicomSpec>['typescript'] = (_p, t) => ({
  read: t.berth('DicomStudy'),
  write: t.arrayOf(t.berth('DicomSource')),
});

/** `dicom-type: dicom-study` — a directory of `<SeriesInstanceUID>/<SOPInstanceUID>.dcm`. */
export const dicomStudyKind: KindDefinition<'dicom-study', DicomSpec> = dicomKind(
  'dicom-study',
  'study',
  'dicom-study',
  dicomStudyTypes,
);
