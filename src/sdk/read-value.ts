import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, toBerthError } from '../errors.js';
import { kindOf } from '../kinds/registry.js';
import type { Property } from '../kinds/property.js';
import { ARRAY_INDEX, classifyEntry } from '../tree/entry.js';
import { readTextFile } from '../tree/read-text.js';

/** Reads DICOM kinds; supplied by the DICOM layer (src/dicom), absent until it is loaded. */
export type DicomReader = (p: Property, abs: string) => Promise<unknown>;

/** What reading needs to know about the tree. */
export interface ReadScope {
  realRoot: string;
  dicom?: DicomReader;
}

/**
 * Reads the value of one property from its entry: primitives decoded from their text form, files
 * and DICOM as handles, objects as nested objects, arrays in index order. A nullable property
 * that is absent reads as `undefined`; anything wrong is a BerthError with a code and the path.
 */
export async function readValue(p: Property, abs: string, scope: ReadScope): Promise<unknown> {
  const info = await classifyEntry(abs, scope.realRoot);
  const where = { path: abs, property: p.path };
  switch (info.kind) {
    case 'missing':
      if (p.nullable) return undefined;
      throw new BerthError('BERTH_E_TREE_MISSING', `Required ${p.kind} ${p.name} is missing`, where);
    case 'symlink-outside':
      throw new BerthError(
        'BERTH_E_TREE_SYMLINK',
        'The entry is a symbolic link leading outside the tree',
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
  if (kind.text) {
    const outcome = kind.text.parse(await readTextFile(real), p);
    if (outcome.ok) return outcome.value;
    const { code, message, expected } = outcome.problem;
    throw new BerthError(code, message, { ...where, ...(expected === undefined ? {} : { expected }) });
  }
  if (kind.leaf) return kind.leaf.read(real, p);
  if (kind.shape === 'object') return readObject(p.properties ?? [], real, scope);
  if (kind.shape === 'array') return readArray(p, real, scope);
  if (scope.dicom) return scope.dicom(p, real);
  throw new BerthError('BERTH_E_INTERNAL', `No reader for ${p.kind}`, where);
}

/** Reads an object's members into a plain object (absent nullable members are left out). */
export async function readObject(
  props: readonly Property[],
  dir: string,
  scope: ReadScope,
): Promise<Record<string, unknown>> {
  const values = await Promise.all(props.map((m) => readValue(m, path.join(dir, m.name), scope)));
  const out: Record<string, unknown> = {};
  props.forEach((m, i) => {
    if (values[i] !== undefined) out[m.name] = values[i];
  });
  return out;
}

/** The indices of an array directory, checked to be exactly 0..n-1. */
export async function arrayIndices(p: Property, dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_TREE_UNREADABLE', { path: dir, property: p.path });
  }
  const indices = names.filter((n) => ARRAY_INDEX.test(n)).map(Number);
  const stray = names.find((n) => !ARRAY_INDEX.test(n));
  if (stray !== undefined) {
    throw new BerthError('BERTH_E_TREE_ARRAY_INDEX', `${stray} is not an array index`, {
      path: path.join(dir, stray),
      property: p.path,
      expected: 'entries named 0, 1, 2 …',
    });
  }
  const max = indices.length ? Math.max(...indices) : -1;
  if (max + 1 !== indices.length) {
    throw new BerthError(
      'BERTH_E_TREE_ARRAY_GAP',
      `The array has ${indices.length} entries but its highest index is ${max}`,
      {
        path: dir,
        property: p.path,
      },
    );
  }
  return indices.length;
}

async function readArray(p: Property, dir: string, scope: ReadScope): Promise<unknown[]> {
  const n = await arrayIndices(p, dir);
  const item = p.items;
  if (!item) return [];
  return Promise.all(Array.from({ length: n }, (_, i) => readValue(item, path.join(dir, String(i)), scope)));
}
