import { readdir } from 'node:fs/promises';
import { BerthError } from '../errors.js';
import type { FileSource } from '../kinds/file.js';
import type { Property } from '../kinds/property.js';
import type { NdArray } from '../ndarray/ndarray.js';
import { ARRAY_INDEX } from '../tree/entry.js';
import { safeJoin } from '../tree/safe-path.js';
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
  object<K extends keyof O & string>(name: K): ObjectWriter<NonNullable<O[K]> & object> {
    const p = expectKind(member(this.properties, name, this.dir), ['object', 'survival']);
    return new ObjectWriter(safeJoin(this.dir, p.name), p.properties ?? [], this.scope);
  }

  /** A writer for an array member, to fill item by item with `push`. */
  array<K extends keyof O & string>(name: K): ArrayWriter<ElementOf<NonNullable<O[K]>>> {
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
}

/** The machine's outputs: the output root as an {@link ObjectWriter}. */
export class Outputs<O extends object = Record<string, unknown>> extends ObjectWriter<O> {}

/**
 * Appends items to an array output: item `i` goes to entry `i`, validated first. Pushes are
 * serialised, so concurrent `push` calls still number entries without gaps.
 */
export class ArrayWriter<T = unknown> {
  private next: Promise<number> | undefined;

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

  /** Validates and writes the next item; resolves to its index. */
  push(value: T): Promise<number> {
    const item = this.property.items;
    if (!item)
      throw new BerthError('BERTH_E_INTERNAL', 'array without items', { property: this.property.path });
    const at = (this.next ?? this.count()).then(async (i) => {
      await writeValue(item, safeJoin(this.dir, i), value, this.scope);
      return i;
    });
    // The next push waits for this one; a failed push leaves its index free for the next.
    this.next = at.then(
      (i) => i + 1,
      () => this.count(),
    );
    return at;
  }

  /** A writer for item `index` when items are objects (writes members one by one). */
  object(index: number): ObjectWriter<T & object> {
    const item = expectKind(this.property.items!, ['object', 'survival']);
    return new ObjectWriter(safeJoin(this.dir, index), item.properties ?? [], this.scope);
  }
}
