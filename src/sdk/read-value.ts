import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../errors.js';
import { itemCountProblem } from '../kinds/array.js';
import { refusal } from '../kinds/value.js';
import { setOwn } from '../manifest/document.js';
import { kindOf } from '../kinds/registry.js';
import type { Property } from '../kinds/property.js';
import {
  ARRAY_INDEX,
  Limiter,
  classifyEntry,
  direntInfo,
  mapLimited,
  treeReadError,
  type EntryInfo,
} from '../tree/entry.js';
import { readTextFile } from '../tree/read-text.js';
import { readDicom } from './dicom.js';
import { leafOf, textFormOf } from '../kinds/kind.js';

/** What reading needs to know about the tree. */
export interface ReadScope {
  realRoot: string;
  /** Caps the value files read at once (default: one limiter of 64 shared by the process). */
  limiter?: Limiter;
  /**
   * Called before a leaf value (an ndarray …) is read whole into memory, with its property and
   * file: a caller with a memory budget refuses there, by throwing, what it could not hold.
   */
  beforeLeafRead?: (p: Property, file: string) => Promise<void>;
}

/** Value files read at once unless a scope says otherwise: enough to keep the disk busy, far below fd limits. */
const SHARED_LIMITER = new Limiter(64);

/** Items of one array read at once (bounds pending promises; the limiter bounds open files). */
const READ_FANOUT = 64;

/**
 * Reads the value of one property from its entry: primitives decoded from their text form, files
 * and DICOM as handles, objects as nested objects, arrays in index order. A nullable property
 * that is absent reads as `undefined`; anything wrong is a BerthError with a code and the path.
 * `dirent` is the entry from its directory's listing when the caller has it (it saves an lstat),
 * `null` when the listing shows the entry is absent.
 */
export async function readValue(
  p: Property,
  abs: string,
  scope: ReadScope,
  dirent?: Dirent | null,
): Promise<unknown> {
  const info: EntryInfo =
    dirent === null
      ? { kind: 'missing' }
      : ((dirent && direntInfo(dirent, abs)) ?? (await classifyEntry(abs, scope.realRoot, dirent)));
  const where = { path: abs, property: p.path };
  switch (info.kind) {
    case 'missing':
      if (p.nullable) return undefined;
      throw new BerthError('BERTH_E_TREE_MISSING', `Required ${p.kind} ${p.name} is missing`, where);
    case 'symlink-outside':
      throw new BerthError(
        'BERTH_E_TREE_SYMLINK',
        `The entry is a symbolic link ${info.reason ?? 'leading outside the tree'}`,
        where,
      );
    case 'special':
      throw new BerthError('BERTH_E_TREE_SPECIAL', 'The entry is a FIFO, socket or device', where);
    case 'unreadable':
      throw new BerthError('BERTH_E_TREE_UNREADABLE', `The entry cannot be read (${info.reason})`, where);
  }
  const kind = kindOf(p.kind);
  const real = info.real ?? abs;
  if (kind.shape === 'file' && info.kind !== 'file')
    throw new BerthError('BERTH_E_TREE_NOT_FILE', undefined, where);
  if (kind.shape !== 'file' && info.kind !== 'directory') {
    throw new BerthError('BERTH_E_TREE_NOT_DIRECTORY', undefined, where);
  }
  const limiter = scope.limiter ?? SHARED_LIMITER;
  const textForm = textFormOf(kind);
  if (textForm) {
    let text: string;
    try {
      text = await limiter.run(() => readTextFile(real));
    } catch (e) {
      throw treeReadError(e, where);
    }
    const outcome = textForm.parse(text, p);
    if (outcome.ok) return outcome.value;
    const { code, message, expected } = outcome.problem;
    throw new BerthError(code, message, { ...where, ...(expected === undefined ? {} : { expected }) });
  }
  const leaf = leafOf(kind);
  if (leaf) {
    try {
      await scope.beforeLeafRead?.(p, real);
      return await limiter.run(() => leaf.read(real, p));
    } catch (e) {
      throw treeReadError(e, where);
    }
  }
  if (kind.shape === 'object') return readMembers(p.properties ?? [], abs, real, scope, p);
  if (kind.shape === 'array') return readArray(p, abs, real, scope);
  if (kind.storage.form === 'dicom') return readDicom(p, real);
  throw new BerthError('BERTH_E_INTERNAL', `No reader for ${p.kind}`, where);
}

/** Reads an object's members into a plain object (absent nullable members are left out). */
export function readObject(
  props: readonly Property[],
  dir: string,
  scope: ReadScope,
): Promise<Record<string, unknown>> {
  return readMembers(props, dir, dir, scope, undefined);
}

async function list(dir: string, real: string, p: Property | undefined): Promise<Dirent[]> {
  try {
    return await readdir(real, { withFileTypes: true });
  } catch (e) {
    throw treeReadError(e, { path: dir, ...(p ? { property: p.path } : {}) });
  }
}

// One listing of the directory tells every member's presence and type: no lstat per member.
async function readMembers(
  props: readonly Property[],
  dir: string,
  real: string,
  scope: ReadScope,
  owner: Property | undefined,
): Promise<Record<string, unknown>> {
  const byName = new Map((await list(dir, real, owner)).map((d) => [d.name, d]));
  const values = await Promise.all(
    props.map((m) => readValue(m, path.join(dir, m.name), scope, byName.get(m.name) ?? null)),
  );
  // Own keys, also for `__proto__` (an assignment would set the prototype and the value would
  // read as {}): a property name is data from the manifest, never special.
  const out: Record<string, unknown> = {};
  props.forEach((m, i) => {
    if (values[i] !== undefined) setOwn(out, m.name, values[i]);
  });
  return out;
}

/** The entries of an array directory by index, checked to be exactly 0..n-1 (else a BerthError). */
async function arrayEntries(p: Property, dir: string, real: string): Promise<Dirent[]> {
  const entries = await list(dir, real, p);
  const byIndex: Dirent[] = [];
  for (const d of entries) {
    if (!ARRAY_INDEX.test(d.name) || !Number.isSafeInteger(Number(d.name))) {
      throw new BerthError('BERTH_E_TREE_ARRAY_INDEX', `${d.name} is not an array index`, {
        path: path.join(dir, d.name),
        property: p.path,
        expected: 'entries named 0, 1, 2 …',
      });
    }
    byIndex[Number(d.name)] = d;
  }
  // A sparse array's length is its highest index + 1: any hole is a gap.
  if (byIndex.length !== entries.length) {
    let missing = 0;
    while (byIndex[missing] !== undefined) missing++;
    throw new BerthError(
      'BERTH_E_TREE_ARRAY_GAP',
      `The array has ${entries.length} entries but its highest index is ${byIndex.length - 1}; ${missing} is missing`,
      { path: dir, property: p.path, expected: `entries 0 to ${entries.length - 1} without gaps` },
    );
  }
  return byIndex;
}

/** The length of an array directory, after checking its entries are exactly 0..n-1. */
export async function arrayIndices(p: Property, dir: string): Promise<number> {
  return (await arrayEntries(p, dir, dir)).length;
}

async function readArray(p: Property, dir: string, real: string, scope: ReadScope): Promise<unknown[]> {
  const entries = await arrayEntries(p, dir, real);
  const count = itemCountProblem(entries.length, p.keywords, 'The array');
  if (count) {
    throw refusal(count, p, dir);
  }
  const item = p.items;
  if (!item) return [];
  return mapLimited(entries, READ_FANOUT, (d, i) => readValue(item, path.join(dir, String(i)), scope, d));
}
