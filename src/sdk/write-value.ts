import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, toBerthError } from '../errors.js';
import { itemCountProblem } from '../kinds/array.js';
import { refusal } from '../kinds/value.js';
import { kindOf } from '../kinds/registry.js';
import type { Property } from '../kinds/property.js';
import { siblingTempPath, writeFileAtomic } from '../tree/atomic.js';
import { safeJoin } from '../tree/safe-path.js';
import { dicomOutputsOf } from './dicom-writer.js';
import { leafOf, textFormOf } from '../kinds/kind.js';

/** What a write scope keeps of the DICOM output layer (./dicom-writer.ts's DicomOutputs). */
export interface DicomOutputState {
  write(p: Property, abs: string, value: unknown): Promise<void>;
}

/** What writing needs besides the value. */
export interface WriteScope {
  /**
   * The DICOM output state behind `dicomImage`/`dicomSeries`/`dicomStudy` and DICOM values given to
   * `set()` (./dicom-writer.ts's DicomOutputs: the UIDs written so far), made on first use. Synthesis
   * gives its own, which writes generated instances for its requests.
   */
  dicomOutputs?: DicomOutputState;
}

function refuse(p: Property, abs: string, message: string): BerthError {
  return new BerthError('BERTH_E_VALUE_TYPE', message, { path: abs, property: p.path });
}

/** A plain data object: `{...}` or `Object.create(null)` (not a Date, Map, array or class instance). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Validates a value against its property, then writes it: primitives in their exact text form,
 * files and ndarrays atomically, objects member by member, arrays as entries 0..n-1 (replacing any
 * earlier array). Nothing is written when the value is wrong: the whole value is validated first.
 */
export async function writeValue(p: Property, abs: string, value: unknown, scope: WriteScope): Promise<void> {
  validateValue(p, abs, value);
  await writeChecked(p, abs, value, scope);
}

/** Throws a BerthError when a value cannot be written for a property (recursively). */
export function validateValue(p: Property, abs: string, value: unknown): void {
  const kind = kindOf(p.kind);
  if (value === undefined || value === null) {
    if (p.nullable) return;
    throw refuse(p, abs, `${p.name} is required and cannot be ${String(value)}`);
  }
  const textForm = textFormOf(kind);
  if (textForm) {
    const outcome = textForm.format(value, p);
    if (!outcome.ok) {
      const { code, message, expected } = outcome.problem;
      throw new BerthError(code, message, {
        path: abs,
        property: p.path,
        ...(expected === undefined ? {} : { expected }),
      });
    }
    return;
  }
  if (kind.shape === 'object') {
    if (!isPlainObject(value)) throw refuse(p, abs, `${p.name} takes a plain object`);
    const members = p.properties ?? [];
    for (const key of Object.keys(value)) {
      if (!members.some((m) => m.name === key)) {
        throw new BerthError(
          'BERTH_E_UNDECLARED_PROPERTY',
          `${p.name} has no member ${JSON.stringify(key)}`,
          {
            path: abs,
            property: p.path,
            expected: `one of ${members.map((m) => m.name).join(', ')}`,
          },
        );
      }
    }
    for (const m of members) validateValue(m, path.join(abs, m.name), value[m.name]);
    return;
  }
  if (kind.shape === 'array') {
    if (!Array.isArray(value)) throw refuse(p, abs, `${p.name} takes an array`);
    const count = itemCountProblem(value.length, p.keywords, p.name);
    if (count) {
      throw refusal(count, p, abs);
    }
    const item = p.items;
    if (item) value.forEach((v, i) => validateValue(item, path.join(abs, String(i)), v));
  }
  // Leaf kinds (files, ndarrays, DICOM) validate inside their writers, before anything is renamed into place.
}

/**
 * Writes a validated value. `fresh` says `abs` lies inside a directory this write created and
 * will rename into place as a whole, so its own files need no atomic rename of their own.
 */
async function writeChecked(
  p: Property,
  abs: string,
  value: unknown,
  scope: WriteScope,
  fresh = false,
): Promise<void> {
  if (value === undefined || value === null) {
    // Setting a nullable output to nothing removes an earlier value.
    if (!fresh) await rm(abs, { recursive: true, force: true });
    return;
  }
  const kind = kindOf(p.kind);
  const textForm = textFormOf(kind);
  if (textForm) {
    const outcome = textForm.format(value, p);
    if (!outcome.ok) return;
    if (fresh) await writeFile(abs, outcome.value);
    else await writeFileAtomic(abs, outcome.value);
    return;
  }
  const leaf = leafOf(kind);
  if (leaf) return leaf.write(abs, value, p);
  if (kind.shape === 'object') {
    const obj = value as Record<string, unknown>;
    const members = p.properties ?? [];
    return replaceDirectory(abs, fresh, (dir) =>
      inParallel(members.length, (i) =>
        writeChecked(members[i]!, safeJoin(dir, members[i]!.name), obj[members[i]!.name], scope, true),
      ),
    );
  }
  if (kind.shape === 'array') {
    const items = value as unknown[];
    const item = p.items;
    return replaceDirectory(abs, fresh, (dir) =>
      item
        ? inParallel(items.length, (i) => writeChecked(item, safeJoin(dir, i), items[i], scope, true))
        : Promise.resolve(),
    );
  }
  if (kind.storage.form === 'dicom')
    return (scope.dicomOutputs ?? dicomOutputsOf(scope)).write(p, abs, value);
  throw new BerthError('BERTH_E_INTERNAL', `No writer for ${p.kind} yet`, { path: abs, property: p.path });
}

/** Writes done at once when filling a directory. */
const WRITE_CONCURRENCY = 16;

async function inParallel(n: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(n, WRITE_CONCURRENCY) }, worker));
}

/**
 * A new object or array replaces the old one entirely (no stale members or entries survive): it is
 * filled in a temporary directory beside the target, then renamed into place, and the old one is
 * removed. A crash leaves the old value or the new one, plus a `.berth-tmp-*` directory that tree
 * checks report as BERTH_E_TREE_PARTIAL_WRITE (between the two renames, the value is missing).
 */
async function replaceDirectory(
  abs: string,
  fresh: boolean,
  fill: (dir: string) => Promise<void>,
): Promise<void> {
  if (fresh) {
    await mkdir(abs);
    return fill(abs);
  }
  const temp = () => siblingTempPath(abs);
  const tmp = temp();
  try {
    await mkdir(tmp, { recursive: true });
    await fill(tmp);
    const old = temp();
    let moved = false;
    try {
      await rename(abs, old);
      moved = true;
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
    }
    try {
      await rename(tmp, abs);
    } catch (e) {
      if (moved) await rename(old, abs).catch(() => undefined); // put the old value back
      throw e;
    }
    if (moved) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw toBerthError(e, 'BERTH_E_IO', { path: abs });
  }
}
