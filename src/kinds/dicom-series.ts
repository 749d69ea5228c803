import { dicomKind } from './dicom-constraints.js';
import type { DicomSpec } from './dicom-constraints.js';
import type { KindDefinition } from './kind.js';

/** How a series is typed in generated code: read as a `DicomSeries` handle, written as a list of instances. */
export const dicomSeriesTypes: KindDefinition<string, DicomSpec>['typescript'] = (_p, t) => ({
  read: t.berth('DicomSeries'),
  write: t.arrayOf(t.berth('DicomSource')),
});

/** `dicom-type: dicom-series` — a directory of `<SOPInstanceUID>.dcm` files. */
export const dicomSeriesKind: KindDefinition<'dicom-series', DicomSpec> = dicomKind(
  'dicom-series',
  'series',
  'dicom-series',
  dicomSeriesTypes,
);
