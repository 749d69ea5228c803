/**
 * Synthetic DICOM for one property: the one plan and writer behind both `berth synth` and a case
 * file's `{synth: {...}}`, so the two give the same counts, sizes and UIDs for the same seed.
 *
 * Decisions, written once here:
 * - Counts: a dicom-image is one instance; a dicom-series has `instances`, else the constraint
 *   `series-related-instances`, else 8; a dicom-study has the series of `series` (a list of
 *   counts, or a number of series of `instances` each), else `study-related-series`, else
 *   `study-related-instances` split over two series, else two series of 4.
 * - Size: `rows` × `columns`, default 64 × 64.
 * - Modality: `modality`, else the first of `modalities`, else the generator of the first of
 *   `sop-classes`, else CT. CT, MR, CR and OT have their own pixels; another modality gets
 *   secondary-capture-like 8-bit pixels with that Modality.
 * - Transfer syntax: `transferSyntaxUid`, else the first of `transfer-syntax-uid` berth writes
 *   (none writable: BERTH_E_SYNTH_UNSUPPORTED), else explicit VR little endian.
 * - One patient and study: every DICOM input synthesised for one tree (or one case) shares
 *   PatientID, PatientName and StudyInstanceUID, taken from the first one's seed, unless asked for
 *   separate studies (`--separate-studies`, `{synth: {separateStudy: true}}`). Series and instance
 *   UIDs and pixels come from the seed, the property's path and its array indices, so two
 *   properties never share a UID.
 */
import { entryByKeyword } from '../dicom/dictionary.js';
import { SOP_CLASS, synthInstances, type SeriesSpec, type SynthModality } from '../dicom/synth.js';
import { TS } from '../dicom/transfer-syntax.js';
import { UidMaker } from '../dicom/uid.js';
import { element, encodePart10, WRITABLE_TRANSFER_SYNTAXES } from '../dicom/write.js';
import { kindOf } from '../kinds/registry.js';
import type { Property } from '../kinds/property.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { safeJoin } from '../tree/safe-path.js';
import { synthUnsupported } from './synth-support.js';
import { dicomSpecOf } from '../kinds/dicom-constraints.js';

/** What a case file's `{synth: {...}}` may set; every field has a default (see the module comment). */
export interface DicomSynthOverrides {
  modality?: string;
  sopClassUid?: string;
  transferSyntaxUid?: string;
  /** Instances of a series (of each series of a study when `series` is a number). */
  instances?: number;
  /** A study's series: how many, or the instance count of each. */
  series?: number | number[];
  rows?: number;
  columns?: number;
  seriesDescription?: string;
  /** This input gets its own patient and study (default: the one shared by the tree). */
  separateStudy?: boolean;
}

/** The patient and study that the DICOM inputs of one tree share. */
export interface SharedStudy {
  readonly patientId: string;
  readonly patientName: string;
  readonly studyInstanceUid: string;
}

/** The patient and study made from a seed. */
export function studyFromSeed(seed: string): SharedStudy {
  return {
    // PatientID is LO: at most 64 characters, no backslash; any seed text becomes safe.
    patientId: `BERTH-${seed.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 64),
    patientName: 'Synthetic^Patient',
    studyInstanceUid: new UidMaker(`${seed}/shared-study`).uid('study', 0),
  };
}

/**
 * Hands out the shared study of one tree: the first call fixes it from its seed; later calls get
 * the same one, unless they ask for a separate study (then made from the seed and `key`, the
 * property's path and array indices).
 */
export class StudySharing {
  private shared: SharedStudy | undefined;
  constructor(private readonly separate = false) {}

  studyFor(seed: string, key: string, separate = false): SharedStudy {
    if (separate || this.separate) return studyFromSeed(`${seed}/${key}`);
    this.shared ??= studyFromSeed(seed);
    return this.shared;
  }
}

/** What the property's constraints and the overrides call for. */
export interface DicomPlan {
  readonly generator: SynthModality;
  readonly modality: string;
  readonly sopClassUid: string | undefined;
  readonly transferSyntaxUid: string;
  /** Instances per series. */
  readonly series: readonly number[];
  readonly rows: number;
  readonly columns: number;
}

const GENERATORS: Readonly<Record<string, SynthModality>> = {
  [SOP_CLASS.CT]: 'CT',
  [SOP_CLASS.MR]: 'MR',
  [SOP_CLASS.CR]: 'CR',
  [SOP_CLASS.OT]: 'OT',
  [SOP_CLASS.OTMultiFrame]: 'OT',
};
const OWN_PIXELS: readonly string[] = ['CT', 'MR', 'CR', 'OT'];
const MODALITY_TAG = entryByKeyword('Modality')!.tag;
const SERIES_UID_TAG = entryByKeyword('SeriesInstanceUID')!.tag;

function transferSyntaxOf(p: Property, o: DicomSynthOverrides): string {
  const accepted = o.transferSyntaxUid
    ? [o.transferSyntaxUid]
    : dicomSpecOf(p).constraints.transferSyntaxUids;
  if (!accepted?.length) return TS.ExplicitVRLittleEndian;
  const writable = accepted.find((uid) => WRITABLE_TRANSFER_SYNTAXES.includes(uid));
  if (!writable) {
    throw synthUnsupported(
      p,
      `berth writes none of the transfer syntaxes ${accepted.join(', ')} (it compresses nothing)`,
    );
  }
  return writable;
}

function countsOf(p: Property, o: DicomSynthOverrides): number[] {
  const c = dicomSpecOf(p).constraints;
  const shape = kindOf(p.kind).shape;
  if (shape === 'file') return [1];
  if (shape === 'dicom-series') return [o.instances ?? c.seriesRelatedInstances ?? 8];
  if (Array.isArray(o.series)) return [...o.series];
  if (o.series !== undefined || o.instances !== undefined) {
    return Array.from({ length: o.series ?? 2 }, () => o.instances ?? 4);
  }
  if (c.studyRelatedSeries) return [...c.studyRelatedSeries];
  if (c.studyRelatedInstances !== undefined) {
    const n = c.studyRelatedInstances;
    return n >= 2 ? [Math.ceil(n / 2), Math.floor(n / 2)] : [n];
  }
  return [4, 4];
}

/** The plan for one DICOM property: what every synthetic input of it holds. */
export function planDicom(p: Property, o: DicomSynthOverrides = {}): DicomPlan {
  const c = dicomSpecOf(p).constraints;
  const sop = o.sopClassUid ?? c.sopClasses?.[0];
  const declared = o.modality ?? c.modalities?.[0];
  const byModality = declared && OWN_PIXELS.includes(declared) ? (declared as SynthModality) : undefined;
  const generator = (sop ? GENERATORS[sop] : byModality) ?? (sop || declared ? 'OT' : 'CT');
  return {
    generator,
    modality: declared ?? generator,
    sopClassUid: sop,
    transferSyntaxUid: transferSyntaxOf(p, o),
    series: countsOf(p, o),
    rows: o.rows ?? 64,
    columns: o.columns ?? 64,
  };
}

/** Where one synthetic DICOM input comes from. */
export interface DicomSynthRequest {
  /** The seed of the tree or of the case's `{synth: {seed}}`. */
  readonly seed: string;
  /** Tells array items apart (`/0/2`); empty at the top. */
  readonly where: string;
  readonly study: SharedStudy;
  readonly overrides?: DicomSynthOverrides;
}

/** Writes one DICOM property's synthetic data at `abs` (a file or a folder, by the kind's shape). */
export async function writeSyntheticDicom(
  p: Property,
  abs: string,
  request: DicomSynthRequest,
): Promise<void> {
  const o = request.overrides ?? {};
  const plan = planDicom(p, o);
  const streamSeed = `${request.seed}/${p.path}${request.where}`;
  const description = dicomSpecOf(p).description;
  const shape = kindOf(p.kind).shape;
  for (const [seriesIndex, count] of plan.series.entries()) {
    const spec: SeriesSpec = {
      seed: streamSeed,
      modality: plan.generator,
      transferSyntaxUid: plan.transferSyntaxUid,
      instances: count,
      seriesIndex,
      studyInstanceUid: request.study.studyInstanceUid,
      patientId: request.study.patientId,
      patientName: request.study.patientName,
      rows: plan.rows,
      columns: plan.columns,
      seriesDescription:
        o.seriesDescription ??
        description.seriesDescriptionsArray?.[seriesIndex] ??
        description.seriesDescription ??
        `Synthetic ${plan.modality} series ${seriesIndex + 1}`,
      ...(plan.sopClassUid ? { sopClassUid: plan.sopClassUid } : {}),
      ...(description.studyDescription ? { studyDescription: description.studyDescription } : {}),
    };
    for (const inst of synthInstances(spec)) {
      const elements =
        plan.modality === plan.generator
          ? inst.elements
          : inst.elements.map((e) => (e.tag === MODALITY_TAG ? element('Modality', plan.modality) : e));
      const bytes = encodePart10(elements, { transferSyntaxUid: plan.transferSyntaxUid });
      const seriesUid = elements.find((e) => e.tag === SERIES_UID_TAG)!.value as string;
      const target =
        shape === 'file'
          ? abs
          : shape === 'dicom-series'
            ? safeJoin(abs, `${inst.sopInstanceUid}.dcm`)
            : safeJoin(abs, seriesUid, `${inst.sopInstanceUid}.dcm`);
      await writeFileAtomic(target, bytes);
    }
  }
}
