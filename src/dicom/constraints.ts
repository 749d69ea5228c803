/**
 * What a DICOM property asks of its data, in plain terms the DICOM modules take as parameters:
 * its level (one instance, a series folder, a study folder) and the reference's constraining
 * keywords. The DICOM kinds (src/kinds/dicom-*.ts) define them from a manifest.
 */

/** How a DICOM property is laid out: one instance, a series or a study. */
export type DicomLevel = 'instance' | 'series' | 'study';

/** The DICOM constraining properties of the reference, typed. */
export interface DicomConstraints {
  /** Accepted transfer syntaxes (`transfer-syntax-uid`). */
  transferSyntaxUids?: string[];
  /** Instances in the series (`series-related-instances`). */
  seriesRelatedInstances?: number;
  /** Instances per series, one entry per series (`study-related-series`). */
  studyRelatedSeries?: number[];
  /** Instances in the whole study (`study-related-instances`). */
  studyRelatedInstances?: number;
  /** Accepted SOP class UIDs (`sop-classes`). */
  sopClasses?: string[];
  /** Accepted modalities (`modalities`). */
  modalities?: string[];
}

/** One DICOM entry of a tree as the checks see it: its level and constraints, and the property's path for findings. */
export interface DicomEntrySpec {
  readonly level: DicomLevel;
  readonly constraints: DicomConstraints;
  /** The property's path (`ct`, `series[]`), named by every finding. */
  readonly property: string;
}
