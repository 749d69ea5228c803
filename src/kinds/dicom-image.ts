import { dicomKind } from './dicom-constraints.js';
import type { DicomSpec } from './dicom-constraints.js';
import type { KindDefinition } from './kind.js';

/** How an image is typed in generated code: read as a `DicomImage` handle, written as one instance: bytes, a file path or {path}. */
export const dicomImageTypes: KindDefinition<string, DicomSpec>['typescript'] = (_p, t) => ({
  read: t.berth('DicomImage'),
  write: t.berth('DicomSource'),
});

/** `dicom-type: dicom-image` — one DICOM Part 10 file, named as the property. */
export const dicomImageKind: KindDefinition<'dicom-image', DicomSpec> = dicomKind(
  'dicom-image',
  'instance',
  'file',
  dicomImageTypes,
);
