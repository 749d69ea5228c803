/**
 * De- and re-identification of whole folders (what `berth deid` and `berth reid` do): every regular
 * file under a folder, walked without following links; DICOM files are converted, folder and file
 * names that are remapped UIDs follow the UIDs, and the rest is reported (deid) or copied (reid).
 */
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { BerthError, isBerthError, type Finding } from '../../errors.js';
import { writeFileAtomic } from '../../tree/atomic.js';
import { bytesOf, pipeFiles, type PipelineLimits } from '../../tree/file-pipeline.js';
import { safeJoin } from '../../tree/safe-path.js';
import { hasDicmPrefix } from '../read-part10.js';
import type { Deidentifier } from './deidentify.js';
import { scanForLeaks } from './leak.js';
import type { DeidMap } from './map.js';
import { reidentify } from './restore.js';
import type { RecordAction, RecordEntry } from './walk.js';

/** Largest file read whole (default 2 GiB − 1); larger ones are skipped with BERTH_E_TOO_LARGE. */
export const MAX_DEID_FILE_BYTES = 2 ** 31 - 1;
const MAX_DEPTH = 32;

/** A file not converted, and why. */
export interface Skipped {
  readonly path: string;
  readonly reason: 'not-dicom' | 'broken' | 'link-or-special';
  readonly code?: string;
  readonly message?: string;
}

/** Lists the regular files under `root` (sorted); links and special files are reported as skipped. */
export async function listFiles(root: string, skipped: Skipped[], depth = 0): Promise<string[]> {
  if (depth > MAX_DEPTH)
    throw new BerthError('BERTH_E_TOO_DEEP', `Folders nest deeper than ${MAX_DEPTH}`, { path: root });
  const out: string[] = [];
  const entries = await readdir(root, { withFileTypes: true }).catch((e: unknown) => {
    if ((e as { code?: string }).code === 'ENOTDIR') return undefined;
    throw e;
  });
  if (entries === undefined) return [root];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(root, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(path, skipped, depth + 1)));
    else if (e.isFile()) out.push(path);
    else skipped.push({ path, reason: 'link-or-special' });
  }
  return out;
}

/** The output path of `file`: each folder or file name that `rename` maps is renamed. */
export function outputPath(
  root: string,
  file: string,
  out: string,
  rename: (uid: string) => string | undefined,
): string {
  const rel = relative(root, file);
  const segments = (rel === '' ? [file.split(sep).pop()!] : rel.split(sep)).map((s) => {
    const uid = s.endsWith('.dcm') ? s.slice(0, -4) : s;
    const to = rename(uid);
    return to === undefined ? s : s.endsWith('.dcm') ? `${to}.dcm` : to;
  });
  return safeJoin(out, ...segments);
}

/** What {@link deidentifyFolder} did. */
export interface DeidFolderReport {
  readonly written: { source: string; output: string }[];
  readonly skipped: Skipped[];
  /** How many elements got each action, over every file. */
  readonly actions: Partial<Record<RecordAction, number>>;
}

/**
 * De-identifies every DICOM file under `input` into `out` (non-DICOM files are skipped, never copied);
 * `onRecord` is told what was done to each file (the harness lists it in its report).
 */
export async function deidentifyFolder(
  input: string,
  out: string,
  d: Deidentifier,
  onRecord?: (record: readonly RecordEntry[], file: string) => void,
  limits: PipelineLimits = {},
): Promise<DeidFolderReport> {
  const skipped: Skipped[] = [];
  const written: DeidFolderReport['written'] = [];
  const actions: Partial<Record<RecordAction, number>> = {};
  const files = await listFiles(input, skipped);
  // The steps keep nothing of a file's bytes past its write (values are copied into the map and
  // the PHI list as text), so read buffers are used again.
  const bounds = { ...limits, maxFileBytes: MAX_DEID_FILE_BYTES, reuseBuffers: true };
  await pipeFiles(files, bounds, (p) => {
    const file = p.file;
    try {
      const bytes = bytesOf(p);
      if (!hasDicmPrefix(bytes, bytes.length)) {
        skipped.push({ path: file, reason: 'not-dicom' });
        return;
      }
      const r = d.deidentify(bytes, file);
      for (const e of r.record) actions[e.action] = (actions[e.action] ?? 0) + 1;
      onRecord?.(r.record, file);
      const target = outputPath(input, file, out, (uid) => d.pseudonymOf(uid));
      written.push({ source: file, output: target });
      return writeFileAtomic(target, r.chunks);
    } catch (e) {
      if (!isBerthError(e) || e.code === 'BERTH_E_IO') throw e;
      skipped.push({ path: file, reason: 'broken', code: e.code, message: e.message });
    }
  });
  return { written, skipped, actions };
}

/** What {@link reidentifyFolder} did. */
export interface ReidFolderReport {
  readonly written: { source: string; output: string; uidsRestored: number }[];
  readonly copied: string[];
  readonly skipped: Skipped[];
  /** BERTH_E_PHI_LEAK findings of the outputs, before re-identification (when the map has phi). */
  readonly leaks: Finding[];
}

/**
 * Re-identifies every DICOM file under `input` into `out`; other files are copied as they are.
 * When the map holds the originals' identifying values, the files are first scanned for leaks.
 */
export async function reidentifyFolder(
  input: string,
  out: string,
  map: DeidMap,
  options: { leakCheck?: boolean } = {},
): Promise<ReidFolderReport> {
  const skipped: Skipped[] = [];
  const files = await listFiles(input, skipped);
  const leaks =
    options.leakCheck !== false && map.phi
      ? await scanForLeaks(files, map.phi, { shiftedDates: new Set(map.shiftedDates ?? []) })
      : [];
  const written: ReidFolderReport['written'] = [];
  const copied: string[] = [];
  const rename = (uid: string): string | undefined =>
    Object.hasOwn(map.uids, uid) ? map.uids[uid] : undefined;
  await pipeFiles(files, { maxFileBytes: MAX_DEID_FILE_BYTES, reuseBuffers: true }, (p) => {
    const file = p.file;
    const target = outputPath(input, file, out, rename);
    const bytes = bytesOf(p);
    if (!hasDicmPrefix(bytes, bytes.length)) {
      copied.push(target);
      return writeFileAtomic(target, bytes);
    }
    try {
      const r = reidentify(bytes, map, file);
      written.push({ source: file, output: target, uidsRestored: r.uidsRestored });
      return writeFileAtomic(target, r.bytes);
    } catch (e) {
      if (!isBerthError(e) || e.code === 'BERTH_E_IO') throw e;
      skipped.push({ path: file, reason: 'broken', code: e.code, message: e.message });
    }
  });
  return { written, copied, skipped, leaks };
}
