import { BerthError } from '../errors.js';
import type { FileHandle } from '../kinds/file-handle.js';
import type { KindName, Property } from '../kinds/property.js';
import type { IsoDateTime } from '../kinds/date-time.js';
import type { NdArray } from '../ndarray/ndarray.js';
import { safeJoin } from '../tree/safe-path.js';
import type { DicomImage, DicomSeries, DicomStudy } from './dicom.js';
import { readObject, readValue, type ReadScope } from './read-value.js';

/**
 * The machine's inputs. `get(name)` reads one property by its schema; the typed accessors
 * (`number(name)`, `file(name)` …) also check that the property is of that kind. Values are read
 * fresh on every call (the tree is the truth); a nullable property that is absent is `undefined`.
 */
export class Inputs<I extends object = Record<string, unknown>> {
  constructor(
    /** The input root (`/envoyai/input` on the platform). */
    readonly root: string,
    readonly properties: readonly Property[],
    private readonly scope: ReadScope,
  ) {}

  /** The declared property of that name (throws BERTH_E_UNDECLARED_PROPERTY). */
  property(name: string): Property {
    const p = this.properties.find((x) => x.name === name);
    if (!p) {
      throw new BerthError('BERTH_E_UNDECLARED_PROPERTY', `There is no input ${JSON.stringify(name)}`, {
        path: this.root,
        expected: `one of ${this.properties.map((x) => x.name).join(', ')}`,
      });
    }
    return p;
  }

  /** Reads one input, decoded by its kind. */
  async get<K extends keyof I & string>(name: K): Promise<I[K]> {
    const p = this.property(name);
    return (await readValue(p, safeJoin(this.root, p.name), this.scope)) as I[K];
  }

  /** Reads every input into one object; files (and DICOM) as handles that read lazily. */
  async read(): Promise<I> {
    return (await readObject(this.properties, this.root, this.scope)) as I;
  }

  private async typed<T>(name: string, kinds: readonly KindName[]): Promise<T> {
    const p = this.property(name);
    if (!kinds.includes(p.kind)) {
      throw new BerthError('BERTH_E_VALUE_TYPE', `Input ${name} is ${p.kind}, not ${kinds.join(' or ')}`, {
        property: p.path,
      });
    }
    return (await readValue(p, safeJoin(this.root, p.name), this.scope)) as T;
  }

  /** A `string` input. */
  string(name: keyof I & string): Promise<string> {
    return this.typed(name, ['string']);
  }
  /** An `enum` input: one of its values. */
  enum(name: keyof I & string): Promise<string> {
    return this.typed(name, ['enum']);
  }
  /** A `date-time` input: a Date that also keeps its original text. */
  dateTime(name: keyof I & string): Promise<IsoDateTime> {
    return this.typed(name, ['date-time']);
  }
  /** A `boolean` input. */
  boolean(name: keyof I & string): Promise<boolean> {
    return this.typed(name, ['boolean']);
  }
  /** An `integer` input. */
  integer(name: keyof I & string): Promise<number> {
    return this.typed(name, ['integer']);
  }
  /** A `number` input. */
  number(name: keyof I & string): Promise<number> {
    return this.typed(name, ['number', 'integer']);
  }
  /** A `percentage` input, as a fraction (`85%` → 0.85). */
  percentage(name: keyof I & string): Promise<number> {
    return this.typed(name, ['percentage']);
  }
  /** A file input (any mime-type) as a handle. */
  file(name: keyof I & string): Promise<FileHandle> {
    return this.typed(name, ['file']);
  }
  /** An `ndarray` input. */
  ndarray(name: keyof I & string): Promise<NdArray> {
    return this.typed(name, ['ndarray']);
  }
  /** An `object` input as a plain object. */
  object<T = Record<string, unknown>>(name: keyof I & string): Promise<T> {
    return this.typed(name, ['object', 'survival']);
  }
  /** An `array` input, in index order. */
  array<T = unknown>(name: keyof I & string): Promise<T[]> {
    return this.typed(name, ['array']);
  }
  /** A `dicom-image` input: its header now, its pixels on demand. */
  dicomImage(name: keyof I & string): Promise<DicomImage> {
    return this.typed(name, ['dicom-image']);
  }
  /** A `dicom-series` input: its instances sorted geometrically. */
  dicomSeries(name: keyof I & string): Promise<DicomSeries> {
    return this.typed(name, ['dicom-series']);
  }
  /** A `dicom-study` input: its series keyed by SeriesInstanceUID. */
  dicomStudy(name: keyof I & string): Promise<DicomStudy> {
    return this.typed(name, ['dicom-study']);
  }
}
