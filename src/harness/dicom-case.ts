import { copyFile, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BerthError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../manifest/document.js';
import type { Property } from '../kinds/property.js';
import { scanHeader } from '../dicom/scan.js';
import { sortDicom } from '../dicom/sort.js';
import { synthSeriesUid, writeSeries, type SeriesSpec, type SynthModality } from '../dicom/synth.js';
import { repairMetaFile } from '../dicom/repair.js';
import { canTranscode, transcodeFile } from '../dicom/transcode.js';
import { safeJoin } from '../tree/safe-path.js';
import type { DicomMaterialiser } from './materialise.js';

const MODALITIES: readonly string[] = ['CT', 'MR', 'CR', 'OT'];

/**
 * Places a DICOM case value into an input tree, the way the platform delivers DICOM:
 * - `{dicom: path}`: a file (dicom-image) or a folder in any layout, sorted by UID into the
 *   reference layout; stray non-DICOM files (DICOMDIR, README) are left out, broken DICOM files
 *   stop the case (`invalid-input`), and instances are converted to the property's first
 *   `transfer-syntax-uid` when they are in another one (uncompressed syntaxes only; anything else
 *   is `BERTH_E_TRANSCODE_UNSUPPORTED`);
 * - `{synth: {seed, modality, instances, rows, columns, series, transferSyntaxUid, sopClassUid,
 *   seriesDescription}}`: synthetic CT-like data, defaulting to what the property's constraints ask.
 */
export const materialiseDicom: DicomMaterialiser = async (p, value, dest, baseDir) => {
  if (typeof value['dicom'] === 'string') return fromFolder(p, path.resolve(baseDir, value['dicom']), dest);
  if (value['synth'] !== undefined)
    return fromSynth(p, isJsonObject(value['synth']) ? value['synth'] : {}, dest);
  throw new BerthError('BERTH_E_CASE_VALUE', 'A DICOM input is given as {dicom: path} or {synth: {...}}', {
    path: dest,
    property: p.path,
  });
};

async function fromFolder(p: Property, src: string, dest: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(src)).isDirectory();
  } catch {
    throw new BerthError('BERTH_E_NOT_FOUND', `The DICOM source ${src} does not exist`, {
      path: src,
      property: p.path,
    });
  }
  if (p.kind === 'dicom-image') {
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
  const staging = await mkdtemp(path.join(os.tmpdir(), 'berth-sort-'));
  try {
    const sorted = path.join(staging, 'sorted');
    const as = p.kind === 'dicom-series' ? 'series' : 'study';
    const result = await sortDicom(src, sorted, { as });
    const broken = result.skipped.find(
      (s) => s.reason === 'broken' || s.reason === 'duplicate' || s.reason === 'invalid-uid',
    );
    if (broken) {
      throw new BerthError(broken.code ?? 'BERTH_E_DICOM_PARSE', `${broken.message} (${broken.path})`, {
        path: broken.path,
        property: p.path,
      });
    }
    const other = result.skipped.find((s) => s.reason === 'other-series');
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
    if (result.layout === 'studies') {
      throw new BerthError('BERTH_E_DICOM_MIXED_STUDY', `The folder holds ${result.studies} studies`, {
        path: src,
        property: p.path,
        expected: 'one study',
      });
    }
    await mkdir(dest, { recursive: true });
    for (const copy of result.copied) {
      const rel = path.relative(sorted, copy.to);
      const target = safeJoin(dest, ...rel.split(path.sep));
      await mkdir(path.dirname(target), { recursive: true });
      await deliver(p, copy.to, target);
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
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

/**
 * Copies one instance into place, in an accepted transfer syntax when it can be converted, with its
 * file meta repaired from the data set when it disagrees or lacks elements (issue 14).
 */
async function deliver(p: Property, from: string, to: string): Promise<void> {
  await place(p, from, to);
  await repairMetaFile(to);
}

async function place(p: Property, from: string, to: string): Promise<void> {
  const accepted = p.dicom?.constraints.transferSyntaxUids;
  if (accepted && accepted.length > 0) {
    const header = await scanHeader(from);
    const current = header.TransferSyntaxUID;
    if (!accepted.includes(current)) {
      const target = accepted.find((t) => canTranscode(current, t));
      if (!target) {
        throw new BerthError(
          'BERTH_E_TRANSCODE_UNSUPPORTED',
          `${path.basename(from)} is in ${current}; berth cannot convert it to ${accepted.join(' or ')}`,
          { path: from, property: p.path },
        );
      }
      await transcodeFile(from, to, target);
      return;
    }
  }
  await copyFile(from, to);
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : fallback;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

async function fromSynth(p: Property, spec: JsonObject, dest: string): Promise<void> {
  const c = p.dicom?.constraints ?? {};
  const modality = str(spec['modality']) ?? c.modalities?.[0] ?? 'CT';
  if (!MODALITIES.includes(modality)) {
    throw new BerthError(
      'BERTH_E_CASE_VALUE',
      `berth synthesises ${MODALITIES.join(', ')}, not ${modality}`,
      {
        path: dest,
        property: p.path,
      },
    );
  }
  const base: SeriesSpec = {
    seed: typeof spec['seed'] === 'number' || typeof spec['seed'] === 'string' ? spec['seed'] : 1,
    modality: modality as SynthModality,
    rows: num(spec['rows'], 64),
    columns: num(spec['columns'], 64),
  };
  const syntax = str(spec['transferSyntaxUid']) ?? c.transferSyntaxUids?.[0];
  if (syntax) base.transferSyntaxUid = syntax;
  const sopClass = str(spec['sopClassUid']) ?? c.sopClasses?.[0];
  if (sopClass) base.sopClassUid = sopClass;
  const description = str(spec['seriesDescription']) ?? p.dicom?.description.seriesDescription;
  if (description) base.seriesDescription = description;
  if (p.kind === 'dicom-image') {
    const staging = await mkdtemp(path.join(os.tmpdir(), 'berth-synth-'));
    try {
      const written = await writeSeries(staging, { ...base, instances: 1 });
      await mkdir(path.dirname(dest), { recursive: true });
      await rename(written.files[0]!.path, dest).catch(() => copyFile(written.files[0]!.path, dest));
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return;
  }
  if (p.kind === 'dicom-series') {
    await writeSeries(dest, { ...base, instances: num(spec['instances'], c.seriesRelatedInstances ?? 8) });
    return;
  }
  const counts = Array.isArray(spec['series'])
    ? spec['series'].map((n) => num(n, 4))
    : (c.studyRelatedSeries ??
      Array.from({ length: num(spec['series'], 2) }, () => num(spec['instances'], 4)));
  let studyInstanceUid: string | undefined;
  for (const [i, instances] of counts.entries()) {
    const seriesSpec: SeriesSpec = {
      ...base,
      seriesIndex: i,
      instances,
      ...(studyInstanceUid ? { studyInstanceUid } : {}),
    };
    const written = await writeSeries(safeJoin(dest, synthSeriesUid(seriesSpec)), seriesSpec);
    studyInstanceUid ??= written.studyInstanceUid;
  }
}
