/**
 * DICOM inputs as handles: a dicom-image is one {@link DicomImage}, a dicom-series a
 * {@link DicomSeries} of instances in geometric order, a dicom-study a {@link DicomStudy} of series
 * keyed by SeriesInstanceUID. Reading one scans headers only (a prefix of each file); pixel data
 * is read when `instance.pixels()` is called.
 *
 * The readers are strict where data would be wrong or lost and lenient where nothing is ambiguous,
 * as src/dicom/read-folder.ts says; `berth validate` and the harness report all of those; the
 * constraining keywords (modalities, counts …) are the harness's to enforce, not the reader's.
 * These classes are the typed API machine code sees; the reading lives in src/dicom/.
 */
import { BerthError } from '../errors.js';
import {
  modalityRescale,
  pixelSpacingOf,
  sliceSpacingOf,
  toHounsfield,
  volumeGeometry,
  type VolumeGeometry,
} from '../dicom/geometry.js';
import {
  readNativePixels,
  readPixels,
  type EncapsulatedPixels,
  type NativePixels,
  type PixelOptions,
} from '../dicom/pixels.js';
import { readImageHeader, readSeriesFolder, readStudyFolder, type SeriesRead } from '../dicom/read-folder.js';
import type { DicomHeader } from '../dicom/scan.js';
import type { DicomGetValue } from '../dicom/sequence.js';
import type { Property } from '../kinds/property.js';
import { readRegularFile } from '../tree/open-regular.js';
import { readVolume, type Volume, type VolumeOptions } from './volume.js';
import { dicomLevelOf } from '../kinds/registry.js';

/** One DICOM instance (one Part 10 file): its header, and its pixels on demand. */
export class DicomInstance {
  constructor(
    /** The scanned header: typed fields named by DICOM keyword, any other top-level attribute by `get`. */
    readonly header: DicomHeader,
  ) {}

  /** The file. */
  get path(): string {
    return this.header.path;
  }
  get sopInstanceUid(): string {
    return this.header.SOPInstanceUID;
  }
  get sopClassUid(): string {
    return this.header.SOPClassUID;
  }
  get seriesInstanceUid(): string {
    return this.header.SeriesInstanceUID;
  }
  get studyInstanceUid(): string {
    return this.header.StudyInstanceUID;
  }
  get transferSyntaxUid(): string {
    return this.header.TransferSyntaxUID;
  }
  get modality(): string | undefined {
    return this.header.Modality;
  }

  /**
   * A top-level attribute by keyword (`PatientName`, any PS3.6 keyword) or tag (`(0018,0050)`); a
   * sequence gives its items, each with `get` again; see `DicomHeader.get`.
   */
  get(name: string): DicomGetValue | undefined {
    return this.header.get(name);
  }

  /**
   * The pixel data as values, whatever the transfer syntax: `{kind: 'native', data}`, a typed array
   * of the stored values in the image's signedness (PixelRepresentation) and width (BitsAllocated
   * 8/16/32; Float32Array/Float64Array for float and double pixel data), in the host's byte order,
   * frame-major then rows, columns, samples (colour interleaved whatever PlanarConfiguration says);
   * no rescale or LUT applied. Compressed syntaxes berth has a codec for (RLE, JPEG, JPEG lossless,
   * JPEG-LS, JPEG 2000, HTJ2K: see the README's transfer syntax table) are decoded, and
   * `photometricInterpretation` says what decoding gave (`RGB` after a JPEG colour transform);
   * `{ybrToRgb: true}` converts YBR_FULL to RGB. `{decode: false}`, or a syntax berth cannot decode
   * (video), gives `{kind: 'encapsulated', frames}`: each frame's bytes still compressed.
   * @throws {@link BerthError} BERTH_E_MISSING_ATTRIBUTE (no pixel data), BERTH_E_PIXEL_LENGTH,
   * BERTH_E_TRUNCATED, BERTH_E_DICOM_PARSE (a corrupt codestream too), BERTH_E_TRANSCODE_UNSUPPORTED
   * (a codestream berth has no decoder for, such as progressive or arithmetic-coded JPEG).
   */
  pixels(options?: PixelOptions): Promise<NativePixels | EncapsulatedPixels> {
    return readPixels(this.path, this.header, options);
  }

  /**
   * `PixelSpacing` as `[row spacing, column spacing]` in mm (between rows, then between columns).
   * @throws {@link BerthError} BERTH_E_MISSING_ATTRIBUTE, BERTH_E_DICOM_GEOMETRY (not two positive numbers).
   */
  pixelSpacing(): [number, number] {
    return pixelSpacingOf(this.header);
  }

  /** RescaleSlope and RescaleIntercept (1 and 0 when absent). */
  rescale(): { slope: number; intercept: number } {
    return modalityRescale(this.header);
  }

  /**
   * The pixels in modality units (Hounsfield units for CT: stored × RescaleSlope +
   * RescaleIntercept, every frame alike): an `Int16Array` when every value is a whole number in
   * −32768…32767, else a `Float32Array`; frame-major, then rows, columns.
   * @throws {@link BerthError} as {@link pixels}, BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX for compressed
   * pixels, BERTH_E_DICOM_GEOMETRY for colour or 1-bit images.
   */
  async hounsfield(): Promise<Int16Array | Float32Array> {
    return toHounsfield(await readNativePixels(this.path, this.header), this.header);
  }

  /** The whole file's bytes (e.g. to derive an output instance from). */
  async bytes(): Promise<Buffer> {
    return readRegularFile(this.path);
  }
}

/** A `dicom-image` input: one instance. */
export class DicomImage extends DicomInstance {}

/** A series: its instances sorted geometrically (position along the slice normal, then InstanceNumber). */
export class DicomSeries implements Iterable<DicomInstance> {
  constructor(
    /** The folder holding the series. */
    readonly dir: string,
    /** In geometric order (see `sortSeries`). Never empty. */
    readonly instances: readonly DicomInstance[],
  ) {}

  get seriesInstanceUid(): string {
    return this.instances[0]!.seriesInstanceUid;
  }
  get studyInstanceUid(): string {
    return this.instances[0]!.studyInstanceUid;
  }
  /** The Modality of the first instance. */
  get modality(): string | undefined {
    return this.instances[0]!.modality;
  }
  /** The FrameOfReferenceUID of the first instance that has one. */
  get frameOfReferenceUid(): string | undefined {
    return this.instances.find((i) => i.header.FrameOfReferenceUID)?.header.FrameOfReferenceUID;
  }
  /** Number of instances. */
  get size(): number {
    return this.instances.length;
  }

  /**
   * Where the series lies as a volume (z, y, x): origin, spacing and direction cosines, slices
   * sorted along their normal. Reads headers only.
   * @throws {@link BerthError} BERTH_E_MISSING_ATTRIBUTE (no position, orientation or
   * PixelSpacing), BERTH_E_DICOM_GEOMETRY (uneven slices, mixed orientations or sizes, multi-frame).
   */
  geometry(): VolumeGeometry {
    return volumeGeometry(this.instances.map((i) => i.header)).geometry;
  }

  /** mm between slices, measured from ImagePositionPatient along the normal (see {@link geometry}). */
  sliceSpacing(): number {
    return sliceSpacingOf(this.instances.map((i) => i.header));
  }

  /**
   * The series as an `ndarray` of shape `[slices, rows, columns]` with its {@link geometry}: in
   * Hounsfield (modality) units by default — `int16` when every value is a whole number that fits,
   * else `float32` — or the stored values with `{rescale: false}`. At most `maxVoxels` voxels
   * (default 2²⁸).
   */
  volume(options: VolumeOptions = {}): Promise<Volume> {
    return readVolume(
      this.instances.map((i) => i.header),
      options,
    );
  }
  [Symbol.iterator](): Iterator<DicomInstance> {
    return this.instances[Symbol.iterator]();
  }
}

/** A study: its series keyed by SeriesInstanceUID (in folder-name order). */
export class DicomStudy {
  constructor(
    /** The folder holding the study. */
    readonly dir: string,
    readonly studyInstanceUid: string,
    readonly series: ReadonlyMap<string, DicomSeries>,
  ) {}

  /** Every instance of the study, series after series. */
  instances(): DicomInstance[] {
    return [...this.series.values()].flatMap((s) => [...s.instances]);
  }
}

/** Reads a dicom-image file (its header; pixels on demand). */
export async function readDicomImage(abs: string): Promise<DicomImage> {
  return new DicomImage(await readImageHeader(abs));
}

function seriesHandle(s: SeriesRead): DicomSeries {
  return new DicomSeries(
    s.dir,
    s.instances.map((h) => new DicomInstance(h)),
  );
}

/** Reads a dicom-series folder (its files, not sub-folders). */
export async function readDicomSeries(abs: string, p?: Property): Promise<DicomSeries> {
  return seriesHandle(await readSeriesFolder(abs, p?.path));
}

/**
 * Reads a dicom-study folder: instances grouped by their SeriesInstanceUID (whatever folder they
 * are in), each series sorted geometrically.
 */
export async function readDicomStudy(abs: string, p?: Property): Promise<DicomStudy> {
  const study = await readStudyFolder(abs, p?.path);
  const series = new Map([...study.series].map(([uid, s]) => [uid, seriesHandle(s)]));
  return new DicomStudy(abs, study.studyInstanceUid, series);
}

/** The reader `Inputs` uses for DICOM kinds (the `DicomReader` hook). */
export const readDicom = async (p: Property, abs: string): Promise<unknown> => {
  const level = dicomLevelOf(p);
  switch (level) {
    case 'instance':
      return readDicomImage(abs);
    case 'series':
      return readDicomSeries(abs, p);
    case 'study':
      return readDicomStudy(abs, p);
    case undefined:
      throw new BerthError('BERTH_E_INTERNAL', `${p.kind} is not a DICOM kind`, { property: p.path });
    default:
      return unreachable(level);
  }
};

function unreachable(level: never): never {
  throw new Error(`no DICOM reader for the level ${String(level)}`);
}
