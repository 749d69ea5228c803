import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../manifest/document.js';
import type { Property } from '../kinds/property.js';
import { planSort, type SortReport } from '../dicom/sort.js';
import { deliverInSyntax } from '../dicom/deliver.js';
import type { DicomHeader } from '../dicom/scan.js';
import { planDicom, StudySharing, writeSyntheticDicom, type DicomSynthOverrides } from './synth-dicom.js';
import { dicomSpecOf } from '../kinds/dicom-constraints.js';
import { dicomLevelOf } from '../kinds/registry.js';

/** Largest `rows`/`columns` a case's `{synth}` may ask for. */
export const MAX_SYNTH_SIZE = 2048;
/** Most instances a case's `{synth}` may ask for, in one series and in all series together. */
export const MAX_SYNTH_INSTANCES = 2000;

/** Where a materialiser says what it skipped or decided (a line each, for the run's notices). */
export type NoticeSink = (line: string) => void;

/** Places a DICOM case value (`{dicom: dir}` or `{synth: {...}}`) into a tree. */
export type DicomMaterialiser = (
  p: Property,
  value: JsonObject,
  dest: string,
  baseDir: string,
) => Promise<void>;

/**
 * A materialiser for the DICOM inputs of one case, the way the platform delivers DICOM:
 * - `{dicom: path}`: a file (dicom-image) or a folder in any layout, sorted by UID into the
 *   reference layout; stray non-DICOM files (DICOMDIR, README) are left out; a byte-identical
 *   second copy of an instance is skipped with a notice (as `berth sort` skips it), while a
 *   different file with the same SOPInstanceUID, or a broken DICOM file, stops the case
 *   (`invalid-input`); instances are converted to the property's first `transfer-syntax-uid`
 *   when they are in another one (decoded and re-encoded as transcode.ts can; one it cannot
 *   convert is `BERTH_E_DICOM_TRANSFER_SYNTAX`, not applicable, as validate says);
 * - `{synth: {seed, modality, instances, series, rows, columns, transferSyntaxUid, sopClassUid,
 *   seriesDescription, separateStudy}}`: synthetic data made exactly as `berth synth` makes it
 *   (./synth-dicom.ts): the DICOM inputs of one case share one patient and study unless
 *   `separateStudy: true`.
 */
export function dicomMaterialiser(
  notice: NoticeSink = () => undefined,
  o: { link?: boolean } = {},
): DicomMaterialiser {
  const studies = new StudySharing();
  // Array items share a property path: the nth one made gets `/n`, so no two share a UID.
  const made = new Map<string, number>();
  return async (p, value, dest, baseDir) => {
    if (typeof value['dicom'] === 'string') {
      return fromFolder(p, path.resolve(baseDir, value['dicom']), dest, notice, o.link === true);
    }
    if (value['synth'] !== undefined) {
      const spec = value['synth'];
      if (!isJsonObject(spec)) throw caseValue(p, dest, '{synth: ...} takes a mapping (or {})');
      const overrides = synthOverrides(p, spec, dest);
      const seed = typeof spec['seed'] === 'number' || typeof spec['seed'] === 'string' ? spec['seed'] : 1;
      const n = made.get(p.path) ?? 0;
      made.set(p.path, n + 1);
      const where = p.path.includes('[]') ? `/${n}` : '';
      await writeSyntheticDicom(p, dest, {
        seed: String(seed),
        where,
        study: studies.studyFor(String(seed), `${p.path}${where}`, overrides.separateStudy === true),
        overrides,
      });
      return;
    }
    throw caseValue(p, dest, 'A DICOM input is given as {dicom: path} or {synth: {...}}');
  };
}

/** A materialiser with no memory between properties (each call its own study); prefer {@link dicomMaterialiser}. */
export const materialiseDicom: DicomMaterialiser = (p, value, dest, baseDir) =>
  dicomMaterialiser()(p, value, dest, baseDir);

function caseValue(p: Property, dest: string, message: string, expected?: string): BerthError {
  return new BerthError('BERTH_E_CASE_VALUE', message, {
    path: dest,
    property: p.path,
    ...(expected === undefined ? {} : { expected }),
  });
}

async function fromFolder(
  p: Property,
  src: string,
  dest: string,
  notice: NoticeSink,
  link: boolean,
): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(src)).isDirectory();
  } catch {
    throw new BerthError('BERTH_E_NOT_FOUND', `The DICOM source ${src} does not exist`, {
      path: src,
      property: p.path,
    });
  }
  const level = dicomLevelOf(p);
  if (level === 'instance') {
    const file = isDir ? await onlyFile(src, p) : src;
    await mkdir(path.dirname(dest), { recursive: true });
    await deliver(p, file, dest);
    return;
  }
  if (!isDir) {
    throw new BerthError('BERTH_E_CASE_VALUE', `${p.name} is a ${p.kind}: give a folder`, {
      path: src,
      property: p.path,
    });
  }
  const as = level === 'series' ? 'series' : 'study';
  const plan = await planSort(src, dest, { as });
  refuseUnsortable(p, src, plan, notice);
  // Each instance straight from the folder to its place, in the syntax it is delivered in: no
  // sorted copy in between (it cost a copy and an fsync per instance, then its removal).
  await mkdir(dest, { recursive: true });
  for (const folder of new Set(plan.copied.map((c) => path.dirname(c.to))))
    await mkdir(folder, { recursive: true });
  const accepted = dicomSpecOf(p).constraints.transferSyntaxUids ?? [];
  await placeAll(plan.copied.length, async (i, converting) => {
    const { from, to } = plan.copied[i]!;
    const known = plan.headers.get(from);
    const place = () => deliver(p, from, to, { known, link });
    // Placed as they are, several at once (the copies overlap); conversions one at a time (each
    // holds an instance's decoded pixels).
    const asItIs =
      known !== undefined && (accepted.length === 0 || accepted.includes(known.TransferSyntaxUID));
    await (asItIs ? place() : converting(place));
  });
}

/** Instances placed at once: the thread pool's width (libuv's default, 4). */
const PLACING_AT_ONCE = 4;

/**
 * Runs `place(i)` for i in 0…n-1, {@link PLACING_AT_ONCE} at a time, `converting` running what it
 * is given one at a time. After a failure none is started; what runs ends; then the failure of the
 * lowest i is thrown — every lower one had ended well, so it is the one placing them one after
 * another would have thrown.
 */
export async function placeAll(
  n: number,
  place: (i: number, converting: (fn: () => Promise<void>) => Promise<void>) => Promise<void>,
): Promise<void> {
  let next = 0;
  const failures: { i: number; error: unknown }[] = [];
  let conversions: Promise<unknown> = Promise.resolve();
  const converting = (fn: () => Promise<void>): Promise<void> => {
    const run = conversions.then(fn);
    conversions = run.catch(() => undefined);
    return run;
  };
  const worker = async (): Promise<void> => {
    while (next < n && failures.length === 0) {
      const i = next++;
      try {
        await place(i, converting);
      } catch (error) {
        failures.push({ i, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PLACING_AT_ONCE, n) }, worker));
  if (failures.length > 0) throw failures.reduce((a, b) => (b.i < a.i ? b : a)).error;
}

/** Notices the identical duplicates skipped; refuses broken files, other series, several studies. */
function refuseUnsortable(p: Property, src: string, plan: SortReport, notice: NoticeSink): void {
  for (const s of plan.skipped.filter((x) => x.reason === 'duplicate' && x.identical)) {
    const rel = (f: string | undefined): string => (f ? path.relative(src, f) : 'another file');
    notice(
      `${p.name}: skipped a byte-identical duplicate, ${rel(s.path)} (same bytes as ${rel(s.duplicateOf)}), as berth sort does`,
    );
  }
  const broken = plan.skipped.find(
    (s) => s.reason === 'broken' || (s.reason === 'duplicate' && !s.identical) || s.reason === 'invalid-uid',
  );
  if (broken) {
    throw new BerthError(broken.code ?? 'BERTH_E_DICOM_PARSE', `${broken.message} (${broken.path})`, {
      path: broken.path,
      property: p.path,
    });
  }
  const other = plan.skipped.find((s) => s.reason === 'other-series');
  if (other) {
    throw new BerthError(
      'BERTH_E_DICOM_MIXED_SERIES',
      `The folder holds more than one series: ${other.message}`,
      {
        path: src,
        property: p.path,
      },
    );
  }
  if (plan.layout === 'studies') {
    throw new BerthError('BERTH_E_DICOM_MIXED_STUDY', `The folder holds ${plan.studies} studies`, {
      path: src,
      property: p.path,
      expected: 'one study',
    });
  }
}

async function onlyFile(dir: string, p: Property): Promise<string> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.'));
  if (names.length !== 1) {
    throw new BerthError(
      'BERTH_E_CASE_VALUE',
      `${p.name} is one image, but ${dir} holds ${names.length} files`,
      {
        path: dir,
        property: p.path,
        expected: 'one DICOM file',
      },
    );
  }
  return path.join(dir, names[0]!);
}

/** Copies one instance into place, the way the platform delivers it (../dicom/deliver.ts). */
function deliver(
  p: Property,
  from: string,
  to: string,
  o: { known?: DicomHeader | undefined; link?: boolean } = {},
): Promise<void> {
  const accepted = dicomSpecOf(p).constraints.transferSyntaxUids;
  return deliverInSyntax(from, to, accepted, {
    property: p.path,
    ...(o.known ? { known: o.known } : {}),
    ...(o.link ? { link: true } : {}),
  });
}

function count(p: Property, dest: string, name: string, v: unknown, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw caseValue(
      p,
      dest,
      `{synth: {${name}: ${JSON.stringify(v)}}} is out of range`,
      `an integer from 1 to ${max}`,
    );
  }
  return v;
}

function text(p: Property, dest: string, name: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw caseValue(p, dest, `{synth: {${name}}} takes text`, 'a string');
  return v;
}

const SYNTH_KEYS = [
  'seed',
  'modality',
  'sopClassUid',
  'transferSyntaxUid',
  'instances',
  'series',
  'rows',
  'columns',
  'seriesDescription',
  'separateStudy',
];

/** The overrides of a case's `{synth: {...}}`, each checked (names, types, limits). */
function synthOverrides(p: Property, spec: JsonObject, dest: string): DicomSynthOverrides {
  const unknown = Object.keys(spec).find((k) => !SYNTH_KEYS.includes(k));
  if (unknown)
    throw caseValue(
      p,
      dest,
      `{synth} has no option ${JSON.stringify(unknown)}`,
      `one of ${SYNTH_KEYS.join(', ')}`,
    );
  const o: DicomSynthOverrides = {};
  const set = <K extends keyof DicomSynthOverrides>(k: K, v: DicomSynthOverrides[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  set('modality', text(p, dest, 'modality', spec['modality']));
  set('sopClassUid', text(p, dest, 'sopClassUid', spec['sopClassUid']));
  set('transferSyntaxUid', text(p, dest, 'transferSyntaxUid', spec['transferSyntaxUid']));
  set('seriesDescription', text(p, dest, 'seriesDescription', spec['seriesDescription']));
  set('rows', count(p, dest, 'rows', spec['rows'], MAX_SYNTH_SIZE));
  set('columns', count(p, dest, 'columns', spec['columns'], MAX_SYNTH_SIZE));
  set('instances', count(p, dest, 'instances', spec['instances'], MAX_SYNTH_INSTANCES));
  const series = spec['series'];
  set(
    'series',
    Array.isArray(series)
      ? series.map((n, i) => count(p, dest, `series[${i}]`, n, MAX_SYNTH_INSTANCES)!)
      : count(p, dest, 'series', series, 100),
  );
  if (spec['separateStudy'] !== undefined) {
    if (typeof spec['separateStudy'] !== 'boolean')
      throw caseValue(p, dest, '{synth: {separateStudy}} takes true or false');
    o.separateStudy = spec['separateStudy'];
  }
  const total = planDicom(p, o).series.reduce((a, b) => a + b, 0);
  if (total > MAX_SYNTH_INSTANCES) {
    throw caseValue(p, dest, `{synth} asks for ${total} instances`, `at most ${MAX_SYNTH_INSTANCES} in all`);
  }
  return o;
}
