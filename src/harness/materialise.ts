import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, isBerthError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../manifest/document.js';
import { kindOf } from '../kinds/registry.js';
import type { Property } from '../kinds/property.js';
import { ndarray } from '../ndarray/ndarray.js';
import { isDtypeName } from '../ndarray/dtype.js';
import { writeValue } from '../sdk/write-value.js';
import { safeJoin } from '../tree/safe-path.js';
import { textFormOf } from '../kinds/kind.js';

/** Places a DICOM case value (`{dicom: dir}` or `{synth: {...}}`) into a tree; from the DICOM layer. */
export type DicomMaterialiser = (
  p: Property,
  value: JsonObject,
  dest: string,
  baseDir: string,
) => Promise<void>;

/** How case values become a tree. */
export interface MaterialiseOptions {
  /** Relative file paths in the case resolve against this. */
  baseDir: string;
  dicom?: DicomMaterialiser;
}

/**
 * Writes case values into a fresh tree, property by property, through the SDK's validating
 * writers — so a case can never hold what the schema forbids. Values: primitives inline (numbers,
 * booleans, text, dates; percentages as a fraction or as `85%`), files as `{file: path}`,
 * ndarrays as `{file: x.npy}` or `{dtype, shape, data}`, objects as mappings, arrays as lists,
 * DICOM as `{dicom: folder}` (any layout; sorted by UID) or `{synth: {...}}`.
 */
export async function materialiseValues(
  props: readonly Property[],
  values: JsonObject,
  dest: string,
  options: MaterialiseOptions,
): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const key of Object.keys(values)) {
    if (!props.some((p) => p.name === key)) {
      throw new BerthError(
        'BERTH_E_UNDECLARED_PROPERTY',
        `The case gives ${JSON.stringify(key)}, which the schema does not declare`,
        {
          path: dest,
          expected: `one of ${props.map((p) => p.name).join(', ')}`,
        },
      );
    }
  }
  for (const p of props) {
    const value = values[p.name];
    if (value === undefined || value === null) continue;
    await materialiseOne(p, value, safeJoin(dest, p.name), options);
  }
}

async function materialiseOne(
  p: Property,
  value: JsonValue,
  dest: string,
  options: MaterialiseOptions,
): Promise<void> {
  try {
    const kind = kindOf(p.kind);
    if (kind.shape === 'dicom-series' || kind.shape === 'dicom-study' || p.kind === 'dicom-image') {
      if (!isJsonObject(value) || !options.dicom) {
        throw caseValue(p, dest, 'A DICOM input is given as {dicom: folder-or-file} or {synth: {...}}');
      }
      await options.dicom(p, value, dest, options.baseDir);
      return;
    }
    if (kind.shape === 'object') {
      if (!isJsonObject(value)) throw caseValue(p, dest, `${p.name} takes a mapping`);
      await materialiseValues(p.properties ?? [], value, dest, options);
      return;
    }
    if (kind.shape === 'array') {
      if (!Array.isArray(value)) throw caseValue(p, dest, `${p.name} takes a list`);
      await mkdir(dest, { recursive: true });
      const item = p.items;
      if (!item) return;
      for (let i = 0; i < value.length; i++)
        await materialiseOne(item, value[i] ?? null, safeJoin(dest, i), options);
      return;
    }
    await writeValue(p, dest, caseToValue(p, value, options.baseDir), {});
  } catch (e) {
    if (isBerthError(e)) throw e;
    throw caseValue(p, dest, (e as Error).message);
  }
}

function caseValue(p: Property, dest: string, message: string): BerthError {
  return new BerthError('BERTH_E_CASE_VALUE', message, { path: dest, property: p.path });
}

/** Turns a case value into what the SDK writer of its kind takes. */
function caseToValue(p: Property, value: JsonValue, baseDir: string): unknown {
  if (isJsonObject(value) && typeof value['file'] === 'string') {
    return { path: path.resolve(baseDir, value['file']) };
  }
  switch (p.kind) {
    case 'percentage':
      if (typeof value === 'string') {
        const parsed = textFormOf(kindOf('percentage'))!.parse(value, p);
        if (!parsed.ok) throw caseValue(p, '', parsed.problem.message);
        return parsed.value;
      }
      return value;
    case 'ndarray': {
      if (isJsonObject(value) && isDtypeName(value['dtype']) && Array.isArray(value['shape'])) {
        const data = value['data'];
        return ndarray(
          value['dtype'],
          value['shape'] as number[],
          Array.isArray(data) ? (data as number[]) : undefined,
        );
      }
      throw caseValue(p, '', 'An ndarray is given as {file: x.npy} or {dtype, shape, data}');
    }
    case 'file':
      throw caseValue(p, '', 'A file is given as {file: path}');
    default:
      return value;
  }
}

/** Copies an input tree as it is (directory cases). */
export async function copyTree(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true, errorOnExist: false, force: true, verbatimSymlinks: true });
}
