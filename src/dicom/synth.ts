/**
 * Synthetic DICOM data for tests, benchmarks and demos: deterministic (seeded) series and studies
 * written as real Part 10 files by berth's own writer, and a corpus of deliberately broken files.
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
import { BerthError } from '../errors.js';
import { writeFileAtomic } from '../tree/atomic.js';
import type { DicomCode } from './errors.js';
import { scanHeaderBytes } from './scan.js';
import { TS } from './transfer-syntax.js';
import { UidMaker } from './uid.js';
import { element, encodePart10, type BinaryValue, type EncodeOptions, type WriteElement } from './write.js';

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

/** A small, fast PRNG (mulberry32) seeded from any string or number. */
export function prng(seed: string | number): () => number {
  let h = 2166136261;
  for (const ch of String(seed)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cross(a: number[], b: number[]): [number, number, number] {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** CT slice in stored values (HU + 1024), `t` in [0, 1] along the series. */
function ctSlice(rows: number, cols: number, t: number, rand: () => number): Int16Array {
  const px = new Int16Array(rows * cols);
  const cx = (cols - 1) / 2;
  const cy = (rows - 1) / 2;
  const fov = Math.min(rows, cols) / 2;
  const a = cols * 0.4 * (0.9 + 0.1 * Math.sin(Math.PI * t));
  const b = rows * 0.28 * (0.9 + 0.1 * Math.sin(Math.PI * t));
  const lungs = t > 0.3 && t < 0.85;
  const lungR = Math.min(a, b) * 0.45 * Math.sin((Math.PI * (t - 0.3)) / 0.55);
  const spineY = cy + b * 0.6;
  const spineR = Math.min(a, b) * 0.18;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const dx = x - cx;
      const dy = y - cy;
      let hu: number;
      if (dx * dx + dy * dy > fov * fov) {
        px[y * cols + x] = -2000;
        continue;
      }
      const e = (dx * dx) / (a * a) + (dy * dy) / (b * b);
      if (e > 1) hu = -1000;
      else if (e > 0.85) hu = -100;
      else {
        hu = 40;
        const sd = Math.hypot(dx, y - spineY);
        if (sd < spineR) hu = sd > spineR * 0.75 ? 1000 : 300;
        else if (lungs) {
          const l1 = Math.hypot(x - (cx - a * 0.45), y - cy + b * 0.1);
          const l2 = Math.hypot(x - (cx + a * 0.45), y - cy + b * 0.1);
          if (l1 < lungR || l2 < lungR) hu = -800;
        }
      }
      px[y * cols + x] = Math.round(hu + (rand() + rand() - 1) * 12) + 1024;
    }
  }
  return px;
}

/** MR slice: unsigned 12-bit values in 16 bits. */
function mrSlice(rows: number, cols: number, t: number, rand: () => number): Uint16Array {
  const px = new Uint16Array(rows * cols);
  const cx = (cols - 1) / 2;
  const cy = (rows - 1) / 2;
  const r = Math.min(rows, cols) * (0.3 + 0.08 * Math.sin(Math.PI * t));
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const d = Math.hypot(x - cx, y - cy) / r;
      const base = d > 1 ? 5 : d > 0.9 ? 900 : d > 0.5 ? 600 : 350;
      px[y * cols + x] = Math.max(0, Math.min(4095, Math.round(base + rand() * 30)));
    }
  }
  return px;
}

/** CR projection: unsigned 12-bit, brighter where the body attenuates. */
function crImage(rows: number, cols: number, rand: () => number): Uint16Array {
  const px = new Uint16Array(rows * cols);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const u = (x - cols / 2) / (cols * 0.35);
      const v = (y - rows / 2) / (rows * 0.45);
      const body = Math.max(0, 1 - u * u - v * v);
      px[y * cols + x] = Math.min(4095, Math.round(300 + 3000 * Math.sqrt(body) + rand() * 40));
    }
  }
  return px;
}

/** OT frames: 8-bit gradient with a moving disc. */
function otFrames(rows: number, cols: number, frames: number, rand: () => number): Uint8Array {
  const px = new Uint8Array(rows * cols * frames);
  for (let f = 0; f < frames; f++) {
    const cx = cols * (0.3 + (0.4 * f) / Math.max(1, frames - 1));
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const inDisc = Math.hypot(x - cx, y - rows / 2) < Math.min(rows, cols) / 6;
        px[(f * rows + y) * cols + x] = inDisc
          ? 230
          : Math.round(((x + y) * 120) / (rows + cols) + rand() * 10);
      }
    }
  }
  return px;
}

/** Generates the instances of one series in memory (no files). */
export function synthSeries(spec: SeriesSpec = {}): SynthInstance[] {
  return [...synthInstances(spec)];
}

/** Generates the instances of one series one at a time, so a large series never sits in memory whole. */
export function* synthInstances(spec: SeriesSpec = {}): Generator<SynthInstance> {
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
  const study = spec.studyInstanceUid ?? uids.uid('study', studyIx);
  const series = uids.uid('study', studyIx, 'series', seriesIx);
  const frameOfReference = uids.uid('study', studyIx, 'frame-of-reference', seriesIx);
  const sopClass =
    spec.sopClassUid ?? (modality === 'OT' && frames > 1 ? SOP_CLASS.OTMultiFrame : SOP_CLASS[modality]);
  const hasGeometry = modality === 'CT' || modality === 'MR';
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
  const date = '20240102';
  const common: WriteElement[] = [
    element('SpecificCharacterSet', 'ISO_IR 192'),
    element('SOPClassUID', sopClass),
    element('StudyDate', date),
    element('SeriesDate', date),
    element('ContentDate', date),
    element('StudyTime', '120000'),
    element('SeriesTime', `12${String(10 + seriesIx).slice(-2)}00`),
    element('ContentTime', '121500'),
    element('AccessionNumber', `ACC${studyIx + 1}`),
    element('Modality', modality),
    element('Manufacturer', 'berth'),
    element('ManufacturerModelName', 'synthetic'),
    element('InstitutionName', 'berth test site'),
    element('ReferringPhysicianName', ''),
    element('StudyDescription', spec.studyDescription ?? `Synthetic study ${studyIx + 1}`),
    element('SeriesDescription', spec.seriesDescription ?? `Synthetic ${modality} series ${seriesIx + 1}`),
    element('PatientName', spec.patientName ?? `Synthetic^Patient${studyIx + 1}`),
    element('PatientID', spec.patientId ?? `BERTH-${seed}-${studyIx + 1}`),
    element('PatientBirthDate', '19700101'),
    element('PatientSex', 'O'),
    element('StudyInstanceUID', study),
    element('SeriesInstanceUID', series),
    element('StudyID', String(studyIx + 1)),
    element('SeriesNumber', seriesIx + 1),
    element('SamplesPerPixel', 1),
    element('PhotometricInterpretation', 'MONOCHROME2'),
    element('Rows', rows),
    element('Columns', cols),
  ];
  if (modality === 'CT') {
    common.push(
      element('ImageType', ['ORIGINAL', 'PRIMARY', 'AXIAL']),
      element('BodyPartExamined', 'CHEST'),
      element('KVP', 120),
      element('SliceThickness', spacing),
      element('ConvolutionKernel', 'STANDARD'),
      element('PatientPosition', 'HFS'),
      element('BitsAllocated', 16),
      element('BitsStored', 16),
      element('HighBit', 15),
      element('PixelRepresentation', 1),
      { tag: 0x00280120, vr: 'SS', value: -2000 }, // PixelPaddingValue (SS: signed pixels)
      element('WindowCenter', 40),
      element('WindowWidth', 400),
      element('RescaleIntercept', -1024),
      element('RescaleSlope', 1),
      element('RescaleType', 'HU'),
    );
  } else if (modality === 'MR') {
    common.push(
      element('ImageType', ['ORIGINAL', 'PRIMARY', 'OTHER']),
      element('BodyPartExamined', 'HEAD'),
      element('ScanningSequence', 'SE'),
      element('SequenceVariant', 'NONE'),
      element('ScanOptions', ''),
      element('MRAcquisitionType', '2D'),
      element('SliceThickness', spacing),
      element('RepetitionTime', 500),
      element('EchoTime', 20),
      element('EchoTrainLength', 1),
      element('MagneticFieldStrength', 1.5),
      element('PatientPosition', 'HFS'),
      element('BitsAllocated', 16),
      element('BitsStored', 12),
      element('HighBit', 11),
      element('PixelRepresentation', 0),
      element('WindowCenter', 500),
      element('WindowWidth', 1000),
    );
  } else if (modality === 'CR') {
    common.push(
      element('ImageType', ['ORIGINAL', 'PRIMARY']),
      element('BodyPartExamined', 'CHEST'),
      element('ViewPosition', 'PA'),
      element('PatientOrientation', ['L', 'F']),
      element('PixelSpacing', [ps, ps]),
      element('BitsAllocated', 16),
      element('BitsStored', 12),
      element('HighBit', 11),
      element('PixelRepresentation', 0),
    );
  } else {
    common.push(
      element('ImageType', ['DERIVED', 'SECONDARY']),
      element('ConversionType', 'WSD'),
      element('PatientOrientation', ['L', 'F']),
      element('BitsAllocated', 8),
      element('BitsStored', 8),
      element('HighBit', 7),
      element('PixelRepresentation', 0),
    );
    if (frames > 1) {
      common.push(
        element('NumberOfFrames', frames),
        element('FrameIncrementPointer', [0x00181063]),
        element('FrameTime', 40),
        element('BurnedInAnnotation', 'NO'),
      );
    }
  }
  if (hasGeometry) {
    common.push(
      element('FrameOfReferenceUID', frameOfReference),
      element('PositionReferenceIndicator', ''),
      element('ImageOrientationPatient', iop),
      element('PixelSpacing', [ps, ps]),
    );
  }
  if (spec.privateTags) {
    common.push(
      { tag: 0x00090010, vr: 'LO', value: 'BERTH SYNTH' },
      { tag: 0x00091001, vr: 'LO', value: 'private text' },
      { tag: 0x00091002, vr: 'UL', value: 1234567 },
      { tag: 0x00091003, vr: 'OB', value: new Uint8Array([1, 2, 3, 4, 5]) },
    );
  }
  const rand = prng(`${seed}/pixels/${studyIx}/${seriesIx}`);
  let first: string | undefined;
  for (let i = 0; i < count; i++) {
    const sop = uids.uid('study', studyIx, 'series', seriesIx, 'instance', i);
    first ??= sop;
    const instanceNumber = spec.instanceNumberOrder === 'descending' ? count - i : i + 1;
    const t = count > 1 ? i / (count - 1) : 0.5;
    const elements: WriteElement[] = [
      ...common,
      element('SOPInstanceUID', sop),
      element('InstanceNumber', instanceNumber),
      element('AcquisitionNumber', 1),
    ];
    let position: [number, number, number] | undefined;
    if (hasGeometry) {
      position = [0, 1, 2].map((k) => round4(origin[k]! + normal[k]! * spacing * i)) as [
        number,
        number,
        number,
      ];
      elements.push(
        element('ImagePositionPatient', position),
        element(
          'SliceLocation',
          round4(position[0] * normal[0] + position[1] * normal[1] + position[2] * normal[2]),
        ),
      );
    }
    if (spec.sequences && spec.sequences !== 'none') {
      elements.push(
        element('ReferencedImageSequence', [
          [element('ReferencedSOPClassUID', sopClass), element('ReferencedSOPInstanceUID', first)],
        ]),
      );
      if (spec.privateTags) {
        // Each item is its own data set: it needs its own private creator.
        const creator: WriteElement = { tag: 0x00090010, vr: 'LO', value: 'BERTH SYNTH' };
        elements.push({
          tag: 0x00091010,
          vr: 'SQ',
          value: [
            [
              creator,
              {
                tag: 0x00091011,
                vr: 'SQ',
                value: [[creator, { tag: 0x00091012, vr: 'LO', value: 'nested' }], []],
              },
            ],
          ],
        });
      }
    }
    const pixels =
      modality === 'CT'
        ? ctSlice(rows, cols, t, rand)
        : modality === 'MR'
          ? mrSlice(rows, cols, t, rand)
          : modality === 'CR'
            ? crImage(rows, cols, rand)
            : otFrames(rows, cols, frames, rand);
    elements.push({ tag: 0x7fe00010, vr: modality === 'OT' ? 'OB' : 'OW', value: pixels });
    yield { sopInstanceUid: sop, instanceNumber, imagePositionPatient: position, elements, pixels };
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

// ---------------------------------------------------------------------------------------------
// The broken-file corpus

/** One file of the broken corpus and the error code a header scan must give it. */
export interface BrokenFile {
  readonly name: string;
  readonly path: string;
  readonly expected: DicomCode;
  /** Not DICOM at all: an index reports it as a stray file rather than a broken instance. */
  readonly stray: boolean;
  readonly description: string;
}

function patchUint32LE(b: Buffer, offset: number, value: number): Buffer {
  const copy = Buffer.from(b);
  copy.writeUInt32LE(value, offset);
  return copy;
}

/** Value offset of a top-level element in an encoded file, found by berth's own scan. */
function valueOffset(b: Buffer, keyword: string): number {
  const el = scanHeaderBytes(b, 'corpus', { requireUids: false }).element(keyword);
  if (!el) throw new BerthError('BERTH_E_INTERNAL', `${keyword} not found`);
  return el.offset;
}

/**
 * Writes the broken-file corpus into `dir`: one small CT instance broken in each way berth must
 * report (truncated header and pixels, no preamble, garbage lengths and VR, missing SOPInstanceUID,
 * an unknown or undeterminable transfer syntax, short pixel data, a corrupt deflate stream)
 * plus stray non-DICOM files (empty, zeros, a README, a `.DS_Store`). Returns each file with the code
 * a scan must fail with.
 */
export async function writeBrokenCorpus(dir: string, seed: string | number = 1): Promise<BrokenFile[]> {
  await mkdir(dir, { recursive: true });
  const [inst] = synthSeries({
    seed,
    instances: 1,
    rows: 32,
    columns: 32,
    seriesDescription: 'broken corpus',
  });
  const els = inst!.elements;
  const explicit = encodePart10(els, { transferSyntaxUid: TS.ExplicitVRLittleEndian });
  const implicit = encodePart10(els, { transferSyntaxUid: TS.ImplicitVRLittleEndian });
  const pixelAt = scanHeaderBytes(explicit, 'corpus').pixelData!.offset - 12;
  const files: [string, Buffer | string, DicomCode, string][] = [];
  const add = (name: string, bytes: Buffer | string, code: DicomCode, description: string): void => {
    files.push([name, bytes, code, description]);
  };
  add('truncated-meta.dcm', explicit.subarray(0, 150), 'BERTH_E_TRUNCATED', 'cut inside the file meta group');
  add(
    'truncated-header.dcm',
    explicit.subarray(0, pixelAt - 40),
    'BERTH_E_TRUNCATED',
    'cut inside the data set',
  );
  add(
    'truncated-pixels.dcm',
    explicit.subarray(0, pixelAt + 12 + 700),
    'BERTH_E_PIXEL_LENGTH',
    'cut inside the pixel data',
  );
  add(
    'no-preamble.dcm',
    explicit.subarray(132),
    'BERTH_E_NOT_PART10',
    'the data set without preamble and DICM',
  );
  const studyDateAt = valueOffset(implicit, 'StudyDate') - 8;
  add(
    'garbage-length.dcm',
    patchUint32LE(implicit, studyDateAt + 4, 0xfffffff0),
    'BERTH_E_TRUNCATED',
    'StudyDate declares 4 GB (implicit VR)',
  );
  const sopClassAt = valueOffset(implicit, 'SOPClassUID') - 8;
  add(
    'garbage-undefined-length.dcm',
    patchUint32LE(implicit, sopClassAt + 4, 0xffffffff),
    'BERTH_E_DICOM_PARSE',
    'SOPClassUID declares undefined length (implicit VR)',
  );
  const vrBroken = Buffer.from(explicit);
  vrBroken.write('zz', valueOffset(explicit, 'StudyDate') - 4, 'latin1');
  add('garbage-vr.dcm', vrBroken, 'BERTH_E_DICOM_PARSE', 'StudyDate has VR bytes "zz"');
  add(
    'missing-sop-instance-uid.dcm',
    encodePart10(
      els.filter((e) => e.tag !== 0x00080018),
      {
        transferSyntaxUid: TS.ExplicitVRLittleEndian,
        meta: { MediaStorageSOPInstanceUID: inst!.sopInstanceUid },
      },
    ),
    'BERTH_E_MISSING_ATTRIBUTE',
    'no SOPInstanceUID in the data set',
  );
  add(
    'unknown-transfer-syntax.dcm',
    encodePart10(els, {
      transferSyntaxUid: TS.ExplicitVRLittleEndian,
      meta: { TransferSyntaxUID: '1.2.3.999' },
    }),
    'BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX',
    'TransferSyntaxUID 1.2.3.999',
  );
  add(
    'no-transfer-syntax.dcm',
    encodePart10(
      els.filter((e) => e.tag >>> 16 === 0x0002),
      { transferSyntaxUid: TS.ExplicitVRLittleEndian, meta: { TransferSyntaxUID: null } },
    ),
    'BERTH_E_NO_TRANSFER_SYNTAX',
    'no TransferSyntaxUID in the file meta, and no data set to tell it from',
  );
  const short = els.map((e) =>
    e.tag === 0x7fe00010 ? { ...e, value: (e.value as Int16Array).subarray(0, 32 * 30) } : e,
  );
  add(
    'pixel-data-too-short.dcm',
    encodePart10(short, { transferSyntaxUid: TS.ExplicitVRLittleEndian }),
    'BERTH_E_PIXEL_LENGTH',
    'pixel data for 30 of 32 rows',
  );
  const deflated = encodePart10(els, { transferSyntaxUid: TS.DeflatedExplicitVRLittleEndian });
  const metaEnd = 144 + deflated.readUInt32LE(140); // after (0002,0000) UL: the meta group length
  add(
    'corrupt-deflate.dcm',
    Buffer.concat([deflated.subarray(0, metaEnd), Buffer.alloc(64, 0xff)]),
    'BERTH_E_DICOM_PARSE',
    'deflated syntax, but the data set is not a deflate stream',
  );
  add('empty.dcm', Buffer.alloc(0), 'BERTH_E_NOT_PART10', 'an empty file');
  add('zeros.dcm', Buffer.alloc(4096), 'BERTH_E_NOT_PART10', '4096 zero bytes');
  add('README.txt', 'This folder holds DICOM files.\n', 'BERTH_E_NOT_PART10', 'a text file');
  const dsStore = Buffer.alloc(6148);
  dsStore.write('\u0000\u0000\u0000\u0001Bud1', 0, 'latin1');
  add('.DS_Store', dsStore, 'BERTH_E_NOT_PART10', 'macOS folder metadata');
  const strays = new Set(['empty.dcm', 'zeros.dcm', 'README.txt', '.DS_Store']);
  const out: BrokenFile[] = [];
  for (const [name, bytes, expected, description] of files) {
    const path = join(dir, name);
    await writeFileAtomic(path, bytes);
    out.push({ name, path, expected, stray: strays.has(name), description });
  }
  return out;
}
