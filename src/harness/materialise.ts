import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, isBerthError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../manifest/document.js';
import type { CaseContext, Property } from '../kinds/kind.js';
import { kindOf } from '../kinds/registry.js';
import { writeValue } from '../sdk/write-value.js';
import { safeJoin } from '../tree/safe-path.js';
import type { DicomMaterialiser, NoticeSink } from './dicom-case.js';

/**
 * How case values become a tree. The DICOM values materialised with one options object share
 * their memory (one patient and study for the synthetic inputs of a case, see ./dicom-case.ts).
 */
export interface MaterialiseOptions {
  /** Relative file paths in the case resolve against this. */
  baseDir: string;
  /** Where DICOM materialisation says what it skipped or decided (a line each, for the run's notices). */
  notice?: NoticeSink;
  /**
   * DICOM instances laid out from a folder as they are may be hard links to their files (a copy
   * across file systems): only for a machine that gets its input read-only (`Driver.inputReadOnly`).
   */
  linkDicom?: boolean;
}

/** The DICOM materialiser of each options object: ./dicom-case.ts, loaded on the first DICOM value. */
const DICOM = new WeakMap<MaterialiseOptions, Promise<DicomMaterialiser>>();

function dicomMaterialiserOf(options: MaterialiseOptions): Promise<DicomMaterialiser> {
  let m = DICOM.get(options);
  if (!m) {
    m = import('./dicom-case.js').then((d) =>
      d.dicomMaterialiser(options.notice, { link: options.linkDicom === true }),
    );
    DICOM.set(options, m);
  }
  return m;
}

/**
 * Writes case values into a fresh tree, property by property, through the SDK's validating
 * writers — so a case can never hold what the schema forbids. Each kind's `fromCase` turns its case
 * value into what its writer takes; dispatch is on the kind's storage. Values: primitives inline (numbers,
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
    const ctx: CaseContext = { refuse: (message) => caseValue(p, dest, message) };
    switch (kind.storage.form) {
      case 'dicom': {
        const dicom = kind.fromCase(value, p, ctx) as JsonObject;
        const place = await dicomMaterialiserOf(options);
        await place(p, dicom, dest, options.baseDir);
        return;
      }
      case 'container':
        await materialiseContainer(
          p,
          kind.fromCase(value, p, ctx) as JsonObject | JsonValue[],
          dest,
          options,
        );
        return;
      case 'text':
      case 'leaf':
        await writeValue(p, dest, fileRef(value, options.baseDir) ?? kind.fromCase(value, p, ctx), {});
        return;
      default:
        return unreachable(kind.storage);
    }
  } catch (e) {
    if (isBerthError(e)) throw e;
    throw caseValue(p, dest, (e as Error).message);
  }
}

/** An object's members or an array's items (the kind checked the value is a mapping or a list). */
async function materialiseContainer(
  p: Property,
  value: JsonObject | JsonValue[],
  dest: string,
  options: MaterialiseOptions,
): Promise<void> {
  if (!Array.isArray(value)) {
    await materialiseValues(p.properties ?? [], value, dest, options);
    return;
  }
  await mkdir(dest, { recursive: true });
  const item = p.items;
  if (!item) return;
  for (let i = 0; i < value.length; i++)
    await materialiseOne(item, value[i] ?? null, safeJoin(dest, i), options);
}

function unreachable(storage: never): never {
  throw new Error(`no case materialiser for storage ${JSON.stringify(storage)}`);
}

function caseValue(p: Property, dest: string, message: string): BerthError {
  return new BerthError('BERTH_E_CASE_VALUE', message, { path: dest, property: p.path });
}

/** `{file: path}`, resolved against the case's folder: how a case gives any value as a file. */
function fileRef(value: JsonValue, baseDir: string): { path: string } | undefined {
  return isJsonObject(value) && typeof value['file'] === 'string'
    ? { path: path.resolve(baseDir, value['file']) }
    : undefined;
}

/** Copies an input tree as it is (directory cases). */
export async function copyTree(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true, errorOnExist: false, force: true, verbatimSymlinks: true });
}
