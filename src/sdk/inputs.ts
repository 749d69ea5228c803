import { BerthError } from '../errors.js';
import type { FileHandle } from '../kinds/file-handle.js';
import type { Property, ValueModel } from '../kinds/kind.js';
import { kindOf } from '../kinds/registry.js';
import type { IsoDateTime } from '../kinds/date-time.js';
import type { NdArray } from '../ndarray/ndarray.js';
import { safeJoin } from '../tree/safe-path.js';
import type { DicomImage, DicomSeries, DicomStudy } from './dicom.js';
import { readObject, readValue, type ReadScope } from './read-value.js';

/** The value a generated input type holds when present (nullable inputs are `T | undefined`). */
type Present<T> = Exclude<T, undefined>;

/**
 * The input names whose generated type satisfies `Is` (one of the tests below), so that a typed
 * accessor does not compile for an input of another kind (`inputs.percentage('ct')` when `ct` is a
 * series). Without generated types (`Record<string, unknown>`) every name is accepted.
 */
export type InputNames<I, Is extends (t: never) => unknown> = string extends keyof I
  ? string
  : { [K in keyof I & string]-?: Is extends (t: Present<I[K]>) => true ? K : never }[keyof I & string];

/** Type-level tests of a generated input type, one per accessor (the second parameter of {@link InputNames}). */
type IsString = <T>(t: T) => string extends T ? (T extends string ? true : false) : false;
type IsEnum = <T>(t: T) => string extends T ? false : T extends string ? true : false;
type Is<V> = <T>(t: T) => T extends V ? true : false;
type IsObject = <T>(t: T) => T extends HandleOrList ? false : T extends object ? true : false;
type HandleOrList =
  readonly unknown[] | FileHandle | NdArray | IsoDateTime | DicomImage | DicomSeries | DicomStudy;

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

  /** Reads input `name` when its kind's value model `fits` (`what` names the accessor's kinds). */
  private async typed<T>(name: string, what: string, fits: (m: ValueModel) => boolean): Promise<T> {
    const p = this.property(name);
    if (!fits(kindOf(p.kind).model(p))) {
      throw new BerthError('BERTH_E_VALUE_TYPE', `Input ${name} is ${p.kind}, not ${what}`, {
        property: p.path,
      });
    }
    return (await readValue(p, safeJoin(this.root, p.name), this.scope)) as T;
  }

  /** A `string` input. */
  string(name: InputNames<I, IsString>): Promise<string> {
    return this.typed(name, 'string', (m) => m.type === 'text');
  }
  /** An `enum` input: one of its values. */
  enum(name: InputNames<I, IsEnum>): Promise<string> {
    return this.typed(name, 'enum', (m) => m.type === 'category');
  }
  /** A `date-time` input: a Date that also keeps its original text. */
  dateTime(name: InputNames<I, Is<IsoDateTime>>): Promise<IsoDateTime> {
    return this.typed(name, 'date-time', (m) => m.type === 'date-time');
  }
  /** A `boolean` input. */
  boolean(name: InputNames<I, Is<boolean>>): Promise<boolean> {
    return this.typed(name, 'boolean', (m) => m.type === 'boolean');
  }
  /** An `integer` input. */
  integer(name: InputNames<I, Is<number>>): Promise<number> {
    return this.typed(name, 'integer', (m) => m.type === 'integer');
  }
  /** A `number` input. */
  number(name: InputNames<I, Is<number>>): Promise<number> {
    return this.typed(
      name,
      'number or integer',
      (m) => (m.type === 'number' && m.unit === undefined) || m.type === 'integer',
    );
  }
  /** A `percentage` input, as a fraction (`85%` → 0.85). */
  percentage(name: InputNames<I, Is<number>>): Promise<number> {
    return this.typed(name, 'percentage', (m) => m.type === 'number' && m.unit === 'fraction');
  }
  /** A file input (any mime-type) as a handle. */
  file(name: InputNames<I, Is<FileHandle>>): Promise<FileHandle> {
    return this.typed(name, 'file', (m) => m.type === 'media');
  }
  /** An `ndarray` input. */
  ndarray(name: InputNames<I, Is<NdArray>>): Promise<NdArray> {
    return this.typed(name, 'ndarray', (m) => m.type === 'tensor');
  }
  /** An `object` input as a plain object. */
  object<T = Record<string, unknown>>(name: InputNames<I, IsObject>): Promise<T> {
    return this.typed(name, 'object or survival', (m) => m.type === 'record');
  }
  /** An `array` input, in index order. */
  array<T = unknown>(name: InputNames<I, Is<readonly unknown[]>>): Promise<T[]> {
    return this.typed(name, 'array', (m) => m.type === 'list');
  }
  /** A `dicom-image` input: its header now, its pixels on demand. */
  dicomImage(name: InputNames<I, Is<DicomImage>>): Promise<DicomImage> {
    return this.typed(name, 'dicom-image', (m) => m.type === 'dicom-instance');
  }
  /** A `dicom-series` input: its instances sorted geometrically. */
  dicomSeries(name: InputNames<I, Is<DicomSeries>>): Promise<DicomSeries> {
    return this.typed(name, 'dicom-series', (m) => m.type === 'dicom-collection' && m.level === 'series');
  }
  /** A `dicom-study` input: its series keyed by SeriesInstanceUID. */
  dicomStudy(name: InputNames<I, Is<DicomStudy>>): Promise<DicomStudy> {
    return this.typed(name, 'dicom-study', (m) => m.type === 'dicom-collection' && m.level === 'study');
  }
}
