/**
 * The header of one DICOM file as a scan returns it: typed fields for the attributes berth needs,
 * where the pixel data is, the header bytes, and any other top-level attribute on demand.
 */
import type { Charset } from './charset.js';
import type { MetaWarning } from './read-part10.js';
import { asNumbers, asString, tagOf, valueOfElement, type DicomGetValue } from './sequence.js';
import type { TransferSyntax } from './transfer-syntax.js';
import { fileWindow, walkDataSet, type ElementRef } from './walk-data-set.js';

export type { ElementRef } from './walk-data-set.js';

/** Where the pixel data is. */
export interface PixelDataLocation {
  /**
   * Offset of the first value byte: in the file, or for the deflated syntax in the inflated data
   * set (see `inDeflatedStream`).
   */
  readonly offset: number;
  /** Value length in bytes; undefined for encapsulated pixel data (undefined length). */
  readonly length: number | undefined;
  /** `OB` or `OW` (or as found; implicit VR: `OW`). */
  readonly vr: string;
  readonly encapsulated: boolean;
  /** The offset counts bytes of the inflated data set, not of the file. */
  readonly inDeflatedStream: boolean;
}

/** The attributes every scan decodes (named by their DICOM keywords). */
export interface HeaderFields {
  readonly TransferSyntaxUID: string;
  readonly MediaStorageSOPClassUID: string | undefined;
  readonly MediaStorageSOPInstanceUID: string | undefined;
  /** Empty only when the scan ran with `requireUids: false`. */
  readonly SOPClassUID: string;
  /** Empty only when the scan ran with `requireUids: false`. */
  readonly SOPInstanceUID: string;
  /** Empty only when the scan ran with `requireUids: false`. */
  readonly StudyInstanceUID: string;
  /** Empty only when the scan ran with `requireUids: false`. */
  readonly SeriesInstanceUID: string;
  readonly FrameOfReferenceUID: string | undefined;
  readonly Modality: string | undefined;
  readonly StudyDescription: string | undefined;
  readonly SeriesDescription: string | undefined;
  readonly InstanceNumber: number | undefined;
  readonly ImagePositionPatient: [number, number, number] | undefined;
  readonly ImageOrientationPatient: [number, number, number, number, number, number] | undefined;
  readonly Rows: number | undefined;
  readonly Columns: number | undefined;
  readonly BitsAllocated: number | undefined;
  readonly BitsStored: number | undefined;
  readonly PixelRepresentation: number | undefined;
  readonly SamplesPerPixel: number | undefined;
  /** As found; undefined when absent (one frame). */
  readonly NumberOfFrames: number | undefined;
  readonly PhotometricInterpretation: string | undefined;
}

/**
 * The header of one DICOM file: the attributes berth needs as typed fields (DICOM keywords as
 * names), where the pixel data is, and any other top-level attribute on demand with {@link get}.
 *
 * It keeps the header bytes (file meta and data set up to the pixel data, typically 1–3 KB) and
 * nothing else; values beyond the pixel data (trailing padding, signatures) are not available.
 */
export class DicomHeader implements HeaderFields {
  readonly TransferSyntaxUID!: string;
  readonly MediaStorageSOPClassUID!: string | undefined;
  readonly MediaStorageSOPInstanceUID!: string | undefined;
  readonly SOPClassUID!: string;
  readonly SOPInstanceUID!: string;
  readonly StudyInstanceUID!: string;
  readonly SeriesInstanceUID!: string;
  readonly FrameOfReferenceUID!: string | undefined;
  readonly Modality!: string | undefined;
  readonly StudyDescription!: string | undefined;
  readonly SeriesDescription!: string | undefined;
  readonly InstanceNumber!: number | undefined;
  readonly ImagePositionPatient!: [number, number, number] | undefined;
  readonly ImageOrientationPatient!: [number, number, number, number, number, number] | undefined;
  readonly Rows!: number | undefined;
  readonly Columns!: number | undefined;
  readonly BitsAllocated!: number | undefined;
  readonly BitsStored!: number | undefined;
  readonly PixelRepresentation!: number | undefined;
  readonly SamplesPerPixel!: number | undefined;
  readonly NumberOfFrames!: number | undefined;
  readonly PhotometricInterpretation!: string | undefined;

  #elements: Map<number, ElementRef> | undefined;

  /** @internal Built by the scan functions. */
  constructor(
    /** The file scanned. */
    readonly path: string,
    /** Its size in bytes. */
    readonly fileSize: number,
    /** The transfer syntax the data set is encoded in. */
    readonly transferSyntax: TransferSyntax,
    fields: HeaderFields,
    /** Where the pixel data is; undefined when the data set has none. */
    readonly pixelData: PixelDataLocation | undefined,
    /** File meta and data set bytes up to the pixel data element (data set inflated if deflated). */
    readonly bytes: Buffer,
    /** Where the data set starts in {@link bytes}. */
    readonly dataSetOffset: number,
    /** How text decodes (SpecificCharacterSet): `true` UTF-8, a {@link Charset}, or Latin-1. */
    readonly charset: boolean | Charset | undefined,
    /**
     * File meta defects read past (a missing or disagreeing MediaStorage UID, no TransferSyntaxUID,
     * no meta at all): `berth validate` reports each as a warning. Empty for a well-formed file.
     */
    readonly warnings: readonly MetaWarning[] = [],
  ) {
    Object.assign(this, fields);
  }

  /** Text decodes as UTF-8 (SpecificCharacterSet ISO_IR 192). */
  get utf8(): boolean {
    return this.charset === true;
  }

  /** NumberOfFrames, or 1 when absent. */
  get frames(): number {
    return this.NumberOfFrames ?? 1;
  }

  /** The raw element (VR and value position in {@link bytes}) of a keyword or tag, if present. */
  element(name: string): ElementRef | undefined {
    return this.elements().get(tagOf(name));
  }

  /** True when the header has this attribute at its top level. */
  has(name: string): boolean {
    return this.element(name) !== undefined;
  }

  /**
   * The value of a top-level attribute by keyword (`PatientName`, any keyword of PS3.6) or tag
   * (`(0010,0010)`): text for string VRs (decoded in the SpecificCharacterSet), a number or
   * number[] for numeric VRs (IS and DS included), bytes for OB/OW/UN, and for a sequence its
   * items as {@link DicomItem}s (nested data sets with the same accessors). Undefined when absent
   * or empty.
   */
  get(name: string): DicomGetValue | undefined {
    return valueOfElement(
      {
        bytes: this.bytes,
        little: this.transferSyntax.littleEndian,
        explicit: this.transferSyntax.explicitVr,
        charset: this.charset,
        path: this.path,
      },
      this.element(name),
    );
  }

  /** The value as text (numbers as written), or undefined. */
  getString(name: string): string | undefined {
    return asString(this.get(name));
  }

  /** The value as numbers, or undefined when absent or not numeric. */
  getNumbers(name: string): number[] | undefined {
    return asNumbers(this.get(name));
  }

  /** Every top-level element (file meta included), indexed on first use. */
  elements(): ReadonlyMap<number, ElementRef> {
    if (!this.#elements) {
      const all = new Map<number, ElementRef>();
      const w = fileWindow(this.bytes, this.bytes.length, true, this.path);
      const metaTs = { ...this.transferSyntax, explicitVr: true, littleEndian: true };
      // The meta group: explicit VR little endian; stop at the data set.
      const metaWindow = fileWindow(
        this.bytes.subarray(0, this.dataSetOffset),
        this.dataSetOffset,
        true,
        this.path,
      );
      walkDataSet(metaWindow, 132, metaTs, undefined, all);
      walkDataSet(w, this.dataSetOffset, this.transferSyntax, undefined, all);
      this.#elements = all;
    }
    return this.#elements;
  }
}
