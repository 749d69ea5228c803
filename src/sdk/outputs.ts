import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../errors.js';
import type { FileSource } from '../kinds/file.js';
import type { Property } from '../kinds/property.js';
import type { NdArray } from '../ndarray/ndarray.js';
import { ARRAY_INDEX } from '../tree/entry.js';
import { safeJoin } from '../tree/safe-path.js';
import {
  DicomSeriesWriter,
  DicomStudyWriter,
  dicomOutputsOf,
  type DicomSource,
  type WrittenInstance,
} from './dicom-writer.js';
import { writeValue, type WriteScope } from './write-value.js';

function member(props: readonly Property[], name: string, where: string): Property {
  const p = props.find((x) => x.name === name);
  if (!p) {
    throw new BerthError('BERTH_E_UNDECLARED_PROPERTY', `There is no output ${JSON.stringify(name)}`, {
      path: where,
      expected: `one of ${props.map((x) => x.name).join(', ')}`,
    });
  }
  return p;
}

function expectKind(p: Property, kinds: readonly string[]): Property {
  if (!kinds.includes(p.kind)) {
    throw new BerthError('BERTH_E_VALUE_TYPE', `Output ${p.name} is ${p.kind}, not ${kinds.join(' or ')}`, {
      property: p.path,
    });
  }
  return p;
}

type ElementOf<T> = T extends readonly (infer E)[] ? E : unknown;

/** The keys of `O` holding arrays (with generated types); any key when `O` is untyped. */
type ArrayKeys<O> = string extends keyof O
  ? keyof O & string
  : { [K in keyof O & string]-?: NonNullable<O[K]> extends readonly unknown[] ? K : never }[keyof O & string];

/** The members of an object value `T`; any member when `T` is untyped (`unknown`). */
type MembersOf<T> = unknown extends T ? Record<string, unknown> : NonNullable<T> & object;

/**
 * Writes the members of a directory (the output root or an object output). Every write is
 * validated against the schema first and refused with a BerthError when wrong; files are written
 * atomically, so a crash never leaves half an output.
 */
export class ObjectWriter<O extends object = Record<string, unknown>> {
  constructor(
    /** The directory written into. */
    readonly dir: string,
    readonly properties: readonly Property[],
    protected readonly scope: WriteScope,
  ) {}

  /** Validates and writes one member (replacing what was there). */
  async set<K extends keyof O & string>(name: K, value: O[K]): Promise<void> {
    const p = member(this.properties, name, this.dir);
    await writeValue(p, safeJoin(this.dir, p.name), value, this.scope);
  }

  /** A writer for an object member, to fill member by member. */
  object<K extends keyof O & string>(name: K): ObjectWriter<MembersOf<O[K]>> {
    const p = expectKind(member(this.properties, name, this.dir), ['object', 'survival']);
    return new ObjectWriter(safeJoin(this.dir, p.name), p.properties ?? [], this.scope);
  }

  /** A writer for an array member, to fill item by item with `push`. */
  array<K extends ArrayKeys<O>>(name: K): ArrayWriter<ElementOf<NonNullable<O[K]>>> {
    const p = expectKind(member(this.properties, name, this.dir), ['array']);
    return new ArrayWriter(safeJoin(this.dir, p.name), p, this.scope);
  }

  /** Writes a file member from bytes, a `{path}` to copy, or a readable stream. */
  file(name: keyof O & string, source: FileSource): Promise<void> {
    const p = expectKind(member(this.properties, name, this.dir), ['file']);
    return writeValue(p, safeJoin(this.dir, p.name), source, this.scope);
  }

  /** Writes an `ndarray` member as `.npy`. */
  ndarray(name: keyof O & string, value: NdArray): Promise<void> {
    const p = expectKind(member(this.properties, name, this.dir), ['ndarray']);
    return writeValue(p, safeJoin(this.dir, p.name), value, this.scope);
  }

  /** Writes a `dicom-image` member from Part 10 bytes or a file path, checked against the property first. */
  dicomImage(name: keyof O & string, source: DicomSource): Promise<WrittenInstance> {
    const p = expectKind(member(this.properties, name, this.dir), ['dicom-image']);
    return dicomOutputsOf(this.scope).image(p, safeJoin(this.dir, p.name), source);
  }

  /** A writer for a `dicom-series` member: `add(bytesOrPath)` stores `<SOPInstanceUID>.dcm`. */
  dicomSeries(name: keyof O & string): DicomSeriesWriter {
    const p = expectKind(member(this.properties, name, this.dir), ['dicom-series']);
    return new DicomSeriesWriter(safeJoin(this.dir, p.name), p, dicomOutputsOf(this.scope));
  }

  /** A writer for a `dicom-study` member: `add(bytesOrPath)` stores `<SeriesInstanceUID>/<SOPInstanceUID>.dcm`. */
  dicomStudy(name: keyof O & string): DicomStudyWriter {
    const p = expectKind(member(this.properties, name, this.dir), ['dicom-study']);
    return new DicomStudyWriter(safeJoin(this.dir, p.name), p, dicomOutputsOf(this.scope));
  }
}

/** The machine's outputs: the output root as an {@link ObjectWriter}. */
export class Outputs<O extends object = Record<string, unknown>> extends ObjectWriter<O> {}

/**
 * The pushes of each array directory, shared by every {@link ArrayWriter} on it (machine code may
 * call `outputs.array('x')` anew for each item): the last push in flight, and the next free index
 * once it settles.
 */
const queues = new Map<string, { tail: Promise<unknown>; next: number | undefined }>();

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

function checkIndex(index: number, p: Property, dir: string): void {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new BerthError('BERTH_E_VALUE_TYPE', `${String(index)} is not an array index`, {
      path: dir,
      property: p.path,
      expected: 'an integer ≥ 0',
    });
  }
}

/**
 * Appends items to an array output: item `i` goes to entry `i`, validated first. Pushes to one
 * array are serialised — across every writer of that array — so concurrent `push` calls number
 * entries without gaps, in call order.
 */
export class ArrayWriter<T = unknown> {
  constructor(
    readonly dir: string,
    readonly property: Property,
    private readonly scope: WriteScope,
  ) {}

  private async count(): Promise<number> {
    try {
      return (await readdir(this.dir)).filter((n) => ARRAY_INDEX.test(n)).length;
    } catch {
      return 0;
    }
  }

  /**
   * The next free index: the remembered one when the tree still agrees (entry `next - 1` exists,
   * entry `next` does not: two lstats), else counted again — after `set()` replaced the array,
   * `object(i)` wrote an item, or anything else changed the directory.
   */
  private async nextIndex(remembered: number | undefined): Promise<number> {
    if (
      remembered !== undefined &&
      (remembered === 0 || (await exists(path.join(this.dir, String(remembered - 1))))) &&
      !(await exists(path.join(this.dir, String(remembered))))
    ) {
      return remembered;
    }
    return this.count();
  }

  /** Validates and writes the next item; resolves to its index. */
  push(value: T): Promise<number> {
    const item = this.property.items;
    if (!item) {
      return Promise.reject(
        new BerthError('BERTH_E_INTERNAL', 'array without items', { property: this.property.path }),
      );
    }
    const queue = queues.get(this.dir) ?? { tail: Promise.resolve(), next: undefined };
    queues.set(this.dir, queue);
    const write = async (): Promise<number> => {
      const i = await this.nextIndex(queue.next);
      queue.next = i;
      const { maxItems } = this.property.keywords;
      if (maxItems !== undefined && i >= maxItems) {
        throw new BerthError('BERTH_E_VALUE_CONSTRAINT', `${this.property.name} already has ${i} items`, {
          path: this.dir,
          property: this.property.path,
          expected: `at most ${maxItems} items`,
        });
      }
      await writeValue(item, safeJoin(this.dir, i), value, this.scope);
      queue.next = i + 1;
      return i;
    };
    // Each push waits for the one before; a failed push leaves its index free for the next.
    const at = queue.tail.then(write, write);
    queue.tail = at.catch(() => undefined);
    return at;
  }

  /** A writer for item `index` when items are objects (writes members one by one). */
  object(index: number): ObjectWriter<MembersOf<T>> {
    const item = expectKind(this.property.items!, ['object', 'survival']);
    checkIndex(index, this.property, this.dir);
    return new ObjectWriter(safeJoin(this.dir, index), item.properties ?? [], this.scope);
  }
}
