import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../errors.js';
import { kindOf } from '../kinds/registry.js';
import type { Property } from '../kinds/property.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { safeJoin } from '../tree/safe-path.js';

/** Writes DICOM kinds; supplied by the DICOM layer. */
export type DicomWriter = (p: Property, abs: string, value: unknown) => Promise<void>;

/** What writing needs besides the value. */
export interface WriteScope {
  dicom?: DicomWriter;
}

function refuse(p: Property, abs: string, message: string): BerthError {
  return new BerthError('BERTH_E_VALUE_TYPE', message, { path: abs, property: p.path });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
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
  if (kind.text) {
    const outcome = kind.text.format(value, p);
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
    const { minItems, maxItems } = p.keywords;
    if (
      (minItems !== undefined && value.length < minItems) ||
      (maxItems !== undefined && value.length > maxItems)
    ) {
      throw new BerthError('BERTH_E_VALUE_CONSTRAINT', `${p.name} has ${value.length} items`, {
        path: abs,
        property: p.path,
        expected: `between ${minItems ?? 0} and ${maxItems ?? '∞'} items`,
      });
    }
    const item = p.items;
    if (item) value.forEach((v, i) => validateValue(item, path.join(abs, String(i)), v));
  }
  // Leaf kinds (files, ndarrays, DICOM) validate inside their writers, before anything is renamed into place.
}

async function writeChecked(p: Property, abs: string, value: unknown, scope: WriteScope): Promise<void> {
  if (value === undefined || value === null) return;
  const kind = kindOf(p.kind);
  if (kind.text) {
    const outcome = kind.text.format(value, p);
    if (outcome.ok) await writeFileAtomic(abs, outcome.value);
    return;
  }
  if (kind.leaf) return kind.leaf.write(abs, value, p);
  if (kind.shape === 'object') {
    await mkdir(abs, { recursive: true });
    const obj = value as Record<string, unknown>;
    for (const m of p.properties ?? []) await writeChecked(m, safeJoin(abs, m.name), obj[m.name], scope);
    return;
  }
  if (kind.shape === 'array') {
    // A new array replaces an old one entirely, so no stale entries survive past its end.
    await rm(abs, { recursive: true, force: true });
    await mkdir(abs, { recursive: true });
    const items = value as unknown[];
    const item = p.items;
    if (item)
      for (let i = 0; i < items.length; i++) await writeChecked(item, safeJoin(abs, i), items[i], scope);
    return;
  }
  if (scope.dicom) return scope.dicom(p, abs, value);
  throw new BerthError('BERTH_E_INTERNAL', `No writer for ${p.kind} yet`, { path: abs, property: p.path });
}
