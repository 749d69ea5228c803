/**
 * A series to synthesise, as asked ({@link SeriesSpec}, every field with a default) and as planned
 * ({@link SeriesPlan}: defaults applied, UIDs drawn, geometry laid out), before any element or pixel.
 */
import { BerthError } from '../errors.js';
import { UidMaker } from './uid.js';

/** Modalities the generator draws. */
export type SynthModality = 'CT' | 'MR' | 'CR' | 'OT';

/** Storage SOP classes by modality. */
export const SOP_CLASS = {
  CT: '1.2.840.10008.5.1.4.1.1.2',
  MR: '1.2.840.10008.5.1.4.1.1.4',
  CR: '1.2.840.10008.5.1.4.1.1.1',
  OT: '1.2.840.10008.5.1.4.1.1.7',
  /** Multi-frame Grayscale Byte Secondary Capture, used for OT with more than one frame. */
  OTMultiFrame: '1.2.840.10008.5.1.4.1.1.7.2',
} as const;

/** What to generate for one series. Every field has a default. */
export interface SeriesSpec {
  /** Seed of every random choice and UID (default 1). Same spec and seed, same bytes. */
  seed?: string | number;
  modality?: SynthModality;
  /** Overrides the SOP class of the modality. */
  sopClassUid?: string;
  /** One of the four writable syntaxes (default explicit VR little endian). */
  transferSyntaxUid?: string;
  /** Image size (default 64 × 64; the benchmark uses 512 × 512). */
  rows?: number;
  columns?: number;
  /** Number of instances (slices) in the series (default 8; CR default 1). */
  instances?: number;
  /** Frames per instance (default 1; more only for OT, which then uses a multi-frame SOP class). */
  frames?: number;
  /** Add a private block (creator `BERTH SYNTH`) with text, a number and bytes (default false). */
  privateTags?: boolean;
  /** Add sequences (a ReferencedImageSequence and a nested private one): lengths defined or undefined. */
  sequences?: 'none' | 'defined' | 'undefined';
  /** Which study and series this is, for UIDs and numbers (default 0 and 0). */
  studyIndex?: number;
  seriesIndex?: number;
  /** Use this StudyInstanceUID instead of the generated one. */
  studyInstanceUid?: string;
  /** Generate UIDs as `<uidRoot>.<digits>` instead of `2.25.<uuid>`. */
  uidRoot?: string;
  /** ImageOrientationPatient (default axial 1\0\0\0\1\0). */
  orientation?: [number, number, number, number, number, number];
  /** Pixel spacing and slice spacing in mm (default 0.8 and 2.5). */
  pixelSpacing?: number;
  sliceSpacing?: number;
  /** InstanceNumber along the slices (default ascending). */
  instanceNumberOrder?: 'ascending' | 'descending';
  patientName?: string;
  patientId?: string;
  seriesDescription?: string;
  studyDescription?: string;
}

/** A series spec with its defaults applied, its UIDs drawn and its geometry laid out. */
export interface SeriesPlan {
  readonly spec: SeriesSpec;
  readonly seed: string | number;
  readonly modality: SynthModality;
  readonly rows: number;
  readonly cols: number;
  /** Instances in the series. */
  readonly count: number;
  /** Frames per instance. */
  readonly frames: number;
  readonly studyIx: number;
  readonly seriesIx: number;
  readonly uids: UidMaker;
  readonly study: string;
  readonly series: string;
  readonly frameOfReference: string;
  readonly sopClass: string;
  /** CT and MR carry patient geometry (position, orientation, frame of reference); CR and OT do not. */
  readonly hasGeometry: boolean;
  readonly iop: [number, number, number, number, number, number];
  /** The slice normal: row direction × column direction. */
  readonly normal: [number, number, number];
  /** Pixel spacing and slice spacing, mm. */
  readonly ps: number;
  readonly spacing: number;
  /** ImagePositionPatient of the first slice. */
  readonly origin: number[];
}

function cross(a: number[], b: number[]): [number, number, number] {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}

/** Applies a spec's defaults and lays out its UIDs and geometry. */
export function planSeries(spec: SeriesSpec): SeriesPlan {
  const seed = spec.seed ?? 1;
  const modality = spec.modality ?? 'CT';
  const rows = spec.rows ?? 64;
  const cols = spec.columns ?? 64;
  const count = spec.instances ?? (modality === 'CR' ? 1 : 8);
  const frames = spec.frames ?? 1;
  if (frames > 1 && modality !== 'OT') {
    throw new BerthError(
      'BERTH_E_USAGE',
      `Multi-frame synthetic images are made for OT only, not ${modality}`,
    );
  }
  const studyIx = spec.studyIndex ?? 0;
  const seriesIx = spec.seriesIndex ?? 0;
  const uids = new UidMaker(seed, spec.uidRoot);
  const iop = spec.orientation ?? [1, 0, 0, 0, 1, 0];
  const normal = cross(iop.slice(0, 3), iop.slice(3));
  const ps = spec.pixelSpacing ?? 0.8;
  const spacing = spec.sliceSpacing ?? 2.5;
  const rowDir = iop.slice(0, 3);
  const colDir = iop.slice(3);
  // Centre the image on the patient axis; the first slice at -count/2 spacings along the normal.
  const origin = [0, 1, 2].map(
    (k) => -(rowDir[k]! * cols * ps) / 2 - (colDir[k]! * rows * ps) / 2 - (normal[k]! * count * spacing) / 2,
  );
  return {
    spec,
    seed,
    modality,
    rows,
    cols,
    count,
    frames,
    studyIx,
    seriesIx,
    uids,
    study: spec.studyInstanceUid ?? uids.uid('study', studyIx),
    series: uids.uid('study', studyIx, 'series', seriesIx),
    frameOfReference: uids.uid('study', studyIx, 'frame-of-reference', seriesIx),
    sopClass:
      spec.sopClassUid ?? (modality === 'OT' && frames > 1 ? SOP_CLASS.OTMultiFrame : SOP_CLASS[modality]),
    hasGeometry: modality === 'CT' || modality === 'MR',
    iop,
    normal,
    ps,
    spacing,
    origin,
  };
}
