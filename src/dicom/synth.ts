/**
 * Synthetic DICOM data for tests, benchmarks and demos: deterministic (seeded) series and studies
 * written as real Part 10 files by berth's own writer. (The corpus of deliberately broken files is
 * test-only: test/support/broken-corpus.ts.)
 *
 * CT slices show a body ellipse (fat rim, soft tissue, lungs, a spine with cortical bone) in
 * Hounsfield units with mild noise, stored as signed 16-bit with RescaleIntercept -1024 and a
 * padding value of -2000 outside the round field of view; MR is unsigned 12-bit in 16; CR is one
 * 2-D projection without patient geometry; OT (secondary capture) is 8-bit, optionally multi-frame.
 * Geometry is consistent: ImagePositionPatient steps along the normal of ImageOrientationPatient,
 * SliceLocation is the position projected on that normal, InstanceNumber counts the slices.
 * Files are named `<SOPInstanceUID>.dcm`, as the EnvoyAI platform names its inputs.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../tree/atomic.js';
import { prng } from './prng.js';
import { modalityPixels } from './synth-pixels.js';
import { instanceElements, seriesElements } from './synth-elements.js';
import { planSeries, type SeriesSpec, type SynthModality } from './synth-plan.js';
import { TS } from './transfer-syntax.js';
import { UidMaker } from './uid.js';
import { encodePart10, type BinaryValue, type EncodeOptions, type WriteElement } from './write.js';

export { prng } from './prng.js';
export { SOP_CLASS, type SeriesSpec, type SynthModality } from './synth-plan.js';

/** One generated instance, before it is written. */
export interface SynthInstance {
  readonly sopInstanceUid: string;
  readonly instanceNumber: number;
  readonly imagePositionPatient: [number, number, number] | undefined;
  readonly elements: WriteElement[];
  readonly pixels: BinaryValue;
}

/** A written series. */
export interface WrittenSeries {
  readonly dir: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly frameOfReferenceUid: string | undefined;
  readonly modality: SynthModality;
  readonly transferSyntaxUid: string;
  readonly files: readonly {
    path: string;
    sopInstanceUid: string;
    instanceNumber: number;
    imagePositionPatient: [number, number, number] | undefined;
  }[];
}

/** Generates the instances of one series in memory (no files). */
export function synthSeries(spec: SeriesSpec = {}): SynthInstance[] {
  return [...synthInstances(spec)];
}

/** Generates the instances of one series one at a time, so a large series never sits in memory whole. */
export function* synthInstances(spec: SeriesSpec = {}): Generator<SynthInstance> {
  const plan = planSeries(spec);
  const { modality, rows, cols, count, frames, studyIx, seriesIx } = plan;
  const common = seriesElements(plan);
  const rand = prng(`${plan.seed}/pixels/${studyIx}/${seriesIx}`);
  let first: string | undefined;
  for (let i = 0; i < count; i++) {
    const sop = plan.uids.uid('study', studyIx, 'series', seriesIx, 'instance', i);
    first ??= sop;
    const own = instanceElements(plan, i, sop, first);
    const t = count > 1 ? i / (count - 1) : 0.5;
    const pixels = modalityPixels(modality, rows, cols, frames, t, rand);
    const elements: WriteElement[] = [
      ...common,
      ...own.elements,
      { tag: 0x7fe00010, vr: modality === 'OT' ? 'OB' : 'OW', value: pixels },
    ];
    yield {
      sopInstanceUid: sop,
      instanceNumber: own.instanceNumber,
      imagePositionPatient: own.position,
      elements,
      pixels,
    };
  }
}

/** The options {@link encodePart10} gets for a spec. */
function encodeOptions(spec: SeriesSpec): EncodeOptions {
  return {
    transferSyntaxUid: spec.transferSyntaxUid ?? TS.ExplicitVRLittleEndian,
    undefinedLengthSequences: spec.sequences === 'undefined',
  };
}

/** Generates a series and writes it into `dir` (created), one `<SOPInstanceUID>.dcm` per instance. */
export async function writeSeries(dir: string, spec: SeriesSpec = {}): Promise<WrittenSeries> {
  await mkdir(dir, { recursive: true });
  const files: WrittenSeries['files'][number][] = [];
  let firstElements: WriteElement[] | undefined;
  for (const inst of synthInstances(spec)) {
    firstElements ??= inst.elements;
    const path = join(dir, `${inst.sopInstanceUid}.dcm`);
    await writeFileAtomic(path, encodePart10(inst.elements, encodeOptions(spec)));
    files.push({
      path,
      sopInstanceUid: inst.sopInstanceUid,
      instanceNumber: inst.instanceNumber,
      imagePositionPatient: inst.imagePositionPatient,
    });
  }
  const get = (tag: number): string | undefined => {
    const v = firstElements?.find((e) => e.tag === tag)?.value;
    return typeof v === 'string' ? v : undefined;
  };
  return {
    dir,
    studyInstanceUid: get(0x0020000d)!,
    seriesInstanceUid: get(0x0020000e)!,
    frameOfReferenceUid: get(0x00200052),
    modality: spec.modality ?? 'CT',
    transferSyntaxUid: encodeOptions(spec).transferSyntaxUid,
    files,
  };
}

/** What to generate for a study. */
export interface StudySpec extends Omit<SeriesSpec, 'seriesIndex' | 'modality'> {
  /** The series: how many (all CT), or their modalities. Default 3. */
  series?: number | SynthModality[];
  /** `by-series` puts each series in a folder named by its SeriesInstanceUID (the EnvoyAI input layout). */
  layout?: 'by-series' | 'flat';
}

/** A written study. */
export interface WrittenStudy {
  readonly dir: string;
  readonly studyInstanceUid: string;
  readonly series: readonly WrittenSeries[];
}

/** Generates and writes a study of several series sharing patient and StudyInstanceUID. */
export async function writeStudy(dir: string, spec: StudySpec = {}): Promise<WrittenStudy> {
  const modalities: SynthModality[] =
    typeof spec.series === 'object'
      ? spec.series
      : Array.from({ length: spec.series ?? 3 }, () => 'CT' as const);
  const uids = new UidMaker(spec.seed ?? 1, spec.uidRoot);
  const studyInstanceUid = spec.studyInstanceUid ?? uids.uid('study', spec.studyIndex ?? 0);
  const series: WrittenSeries[] = [];
  for (const [i, modality] of modalities.entries()) {
    const seriesSpec: SeriesSpec = { ...spec, modality, seriesIndex: i, studyInstanceUid };
    const probe = synthSeriesUid(seriesSpec);
    series.push(await writeSeries(spec.layout === 'flat' ? dir : join(dir, probe), seriesSpec));
  }
  return { dir, studyInstanceUid, series };
}

/** The SeriesInstanceUID {@link synthSeries} gives a spec, without generating pixels. */
export function synthSeriesUid(spec: SeriesSpec): string {
  return new UidMaker(spec.seed ?? 1, spec.uidRoot).uid(
    'study',
    spec.studyIndex ?? 0,
    'series',
    spec.seriesIndex ?? 0,
  );
}
