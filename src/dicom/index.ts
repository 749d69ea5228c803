/**
 * The instance index: scan a folder of DICOM files and group the headers by study and series.
 *
 * Bad input never stops it: a broken file is reported with its error and the rest are indexed;
 * files that are not DICOM at all (a README, `.DS_Store`) are reported as strays; a second file
 * with an already seen SOPInstanceUID is reported as a duplicate. The walk is bounded (depth, file
 * count) and never leaves the folder: symlinks are followed only when their target is inside it,
 * and each directory is visited once.
 */
import fs from 'node:fs';
import { join, relative, isAbsolute, sep } from 'node:path';
import { BerthError, isBerthError, toBerthError } from '../errors.js';
import { openRegularHandle } from '../tree/open-regular.js';
import { scanHeader, scanHeaderSync, type DicomHeader, type ScanOptions } from './scan.js';

/** Options of {@link indexFolder}. */
export interface IndexOptions extends ScanOptions {
  /** Most files looked at; beyond it a BERTH_E_TOO_LARGE error is recorded and the rest ignored. Default 100000. */
  maxFiles?: number;
  /** Deepest folder level walked (the folder itself is 0). Default 32. */
  maxDepth?: number;
  /**
   * How files are read. `sync` (default): folders listed and files read one after another with
   * synchronous calls, yielding to the event loop every 32 files — fastest on local disks and warm
   * caches (≈ 4× less time than async here). `async`: folders listed on the thread pool and
   * `concurrency` files read at once — better when each read waits on a slow or cold disk or a
   * network file system.
   */
  io?: 'sync' | 'async';
  /** Files scanned at once with `io: 'async'`. Default 8. */
  concurrency?: number;
}

/** A file the index could not use, and why. */
export interface IndexIssue {
  readonly path: string;
  readonly error: BerthError;
  /** BERTH_E_DUPLICATE_INSTANCE: the file of the same SOP instance that was kept. */
  readonly duplicateOf?: string;
}

/** One series: its instances in geometric order (see {@link sortSeries}). */
export interface SeriesEntry {
  readonly seriesInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly instances: DicomHeader[];
}

/** One study and its series. */
export interface StudyEntry {
  readonly studyInstanceUid: string;
  readonly series: SeriesEntry[];
}

/** The result of indexing a folder. */
export interface InstanceIndex {
  readonly root: string;
  /** Every readable instance by SOPInstanceUID (the first file seen wins). */
  readonly instances: Map<string, DicomHeader>;
  readonly series: Map<string, SeriesEntry>;
  readonly studies: Map<string, StudyEntry>;
  /** Broken DICOM files, duplicates, unreadable folders, limits reached. */
  readonly errors: IndexIssue[];
  /** Files that are not DICOM at all (BERTH_E_NOT_PART10 and not a bare data set either). */
  readonly strays: IndexIssue[];
  /** Symlinks not followed because they point out of the folder (or nowhere). */
  readonly skipped: { path: string; reason: string }[];
}

/** Scans every file under `root` and indexes the DICOM instances. Never throws for bad content. */
export async function indexFolder(root: string, options: IndexOptions = {}): Promise<InstanceIndex> {
  const index: InstanceIndex = {
    root,
    instances: new Map(),
    series: new Map(),
    studies: new Map(),
    errors: [],
    strays: [],
    skipped: [],
  };
  const files = await walk(root, options, index);
  const headers: (DicomHeader | undefined)[] = new Array(files.length);
  const failed: (BerthError | undefined)[] = new Array(files.length);
  const fail = (i: number, e: unknown): void => {
    failed[i] = isBerthError(e) ? e : toBerthError(e, 'BERTH_E_INTERNAL', { path: files[i]! });
  };
  const scanOne = async (i: number): Promise<void> => {
    try {
      headers[i] = await scanHeader(files[i]!, options);
    } catch (e) {
      fail(i, e);
    }
  };
  if (options.io === 'async') {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) await scanOne(next++);
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  } else {
    for (let i = 0; i < files.length; i++) {
      try {
        headers[i] = scanHeaderSync(files[i]!, options);
      } catch (e) {
        fail(i, e);
      }
      if (i % 32 === 31) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  // Errors in walk order too, so reports are stable.
  for (const [i, error] of failed.entries()) {
    if (!error) continue;
    const path = files[i]!;
    if (error.code === 'BERTH_E_NOT_PART10' && !(await looksLikeBareDataSet(path)))
      index.strays.push({ path, error });
    else index.errors.push({ path, error });
  }

  // Group in walk order, so the outcome does not depend on which scan finished first.
  for (const h of headers) if (h) addInstance(index, h);
  for (const series of index.series.values()) {
    const sorted = sortSeries(series.instances);
    series.instances.splice(0, series.instances.length, ...sorted);
  }
  return index;
}

/** Adds a scanned instance to its series and study; a second file of the same SOP instance is an error. */
function addInstance(index: InstanceIndex, h: DicomHeader): void {
  const first = index.instances.get(h.SOPInstanceUID);
  if (first) {
    index.errors.push({
      path: h.path,
      error: new BerthError(
        'BERTH_E_DUPLICATE_INSTANCE',
        `SOPInstanceUID ${h.SOPInstanceUID} is also in ${first.path}`,
        { path: h.path, expected: 'one file per SOP instance' },
      ),
      duplicateOf: first.path,
    });
    return;
  }
  index.instances.set(h.SOPInstanceUID, h);
  let series = index.series.get(h.SeriesInstanceUID);
  if (!series) {
    series = {
      seriesInstanceUid: h.SeriesInstanceUID,
      studyInstanceUid: h.StudyInstanceUID,
      instances: [],
    };
    index.series.set(h.SeriesInstanceUID, series);
    let study = index.studies.get(h.StudyInstanceUID);
    if (!study) {
      study = { studyInstanceUid: h.StudyInstanceUID, series: [] };
      index.studies.set(h.StudyInstanceUID, study);
    }
    study.series.push(series);
  }
  series.instances.push(h);
}

/** A file without preamble that starts like a data set (group 0002 or 0008): broken DICOM, not a stray. */
async function looksLikeBareDataSet(path: string): Promise<boolean> {
  try {
    const fh = await openRegularHandle(path);
    try {
      const b = Buffer.alloc(6);
      const { bytesRead } = await fh.read(b, 0, 6, 0);
      if (bytesRead < 6) return false;
      const group = b.readUInt16LE(0);
      const vrOk = /^[A-Z]{2}$/.test(b.toString('latin1', 4, 6));
      return (group === 0x0002 && vrOk) || group === 0x0008;
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

function inside(realRoot: string, real: string): boolean {
  const rel = relative(realRoot, real);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The file system calls of the walk: as promises on the thread pool, or synchronous. */
interface WalkFs {
  readdir(dir: string): Promise<fs.Dirent[]>;
  realpath(path: string): Promise<string>;
  stat(path: string): Promise<fs.Stats>;
}

const ASYNC_FS: WalkFs = {
  readdir: (dir) => fs.promises.readdir(dir, { withFileTypes: true }),
  realpath: (path) => fs.promises.realpath(path),
  stat: (path) => fs.promises.stat(path),
};

// With `io: 'sync'` the listing is synchronous too: a handful of directories, each a thread-pool
// round trip that the process would otherwise sit idle for (~10 ms of a 2,000-file study).
const SYNC_FS: WalkFs = {
  readdir: async (dir) => fs.readdirSync(dir, { withFileTypes: true }),
  realpath: async (path) => fs.realpathSync.native(path),
  stat: async (path) => fs.statSync(path),
};

/** Lists the regular files under root, breadth first, within the limits; records problems. */
async function walk(root: string, options: IndexOptions, index: InstanceIndex): Promise<string[]> {
  const maxFiles = options.maxFiles ?? 100_000;
  const maxDepth = options.maxDepth ?? 32;
  const files: string[] = [];
  const fsOps = options.io === 'async' ? ASYNC_FS : SYNC_FS;
  let realRoot: string;
  try {
    realRoot = await fsOps.realpath(root);
  } catch (e) {
    index.errors.push({ path: root, error: toBerthError(e, 'BERTH_E_IO', { path: root }) });
    return files;
  }
  const visited = new Set<string>([realRoot]);
  let level: string[] = [root];
  for (let depth = 0; level.length > 0; depth++) {
    const nextLevel: string[] = [];
    for (const dir of level) {
      let entries: fs.Dirent[];
      try {
        entries = await fsOps.readdir(dir);
      } catch (e) {
        index.errors.push({ path: dir, error: toBerthError(e, 'BERTH_E_IO', { path: dir }) });
        continue;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const path = join(dir, entry.name);
        let isFile = entry.isFile();
        let isDir = entry.isDirectory();
        // A file linked inside the folder is scanned (and later read) at its real path: files are
        // opened no-follow, so a link itself is never opened (src/tree/open-regular.ts).
        let file = path;
        if (entry.isSymbolicLink()) {
          let real: string;
          try {
            real = await fsOps.realpath(path);
          } catch {
            index.skipped.push({ path, reason: 'broken symlink' });
            continue;
          }
          if (!inside(realRoot, real)) {
            index.skipped.push({ path, reason: `symlink to ${real}, outside ${realRoot}` });
            continue;
          }
          try {
            const st = await fsOps.stat(real);
            isFile = st.isFile();
            isDir = st.isDirectory();
            file = real;
          } catch {
            index.skipped.push({ path, reason: 'symlink target vanished' });
            continue;
          }
        }
        if (isDir) {
          // Each real directory once: symlinks into the tree never make a cycle or a second copy.
          const real = await fsOps.realpath(path).catch(() => path);
          if (visited.has(real)) continue;
          visited.add(real);
        }
        if (isDir) {
          if (depth + 1 > maxDepth) {
            index.skipped.push({ path, reason: `deeper than maxDepth ${maxDepth}` });
          } else nextLevel.push(path);
        } else if (isFile) {
          if (files.length >= maxFiles) {
            index.errors.push({
              path: root,
              error: new BerthError('BERTH_E_TOO_LARGE', `The folder holds more than ${maxFiles} files`, {
                path: root,
                expected: `at most ${maxFiles} files (the maxFiles option)`,
              }),
            });
            return files;
          }
          files.push(file);
        }
      }
    }
    level = nextLevel;
  }
  return files;
}

/**
 * Sorts the instances of a series geometrically: by ImagePositionPatient projected on the normal
 * of ImageOrientationPatient (ascending), then InstanceNumber, then SOPInstanceUID. Instances
 * without geometry come after those with it. The normal is taken from the first instance that
 * has an orientation. Returns a new array.
 */
export function sortSeries(headers: readonly DicomHeader[]): DicomHeader[] {
  const iop = headers.find((h) => h.ImageOrientationPatient)?.ImageOrientationPatient;
  const normal = iop && [
    iop[1] * iop[5] - iop[2] * iop[4],
    iop[2] * iop[3] - iop[0] * iop[5],
    iop[0] * iop[4] - iop[1] * iop[3],
  ];
  const keyed = headers.map((h) => {
    const p = h.ImagePositionPatient;
    const distance = normal && p ? p[0] * normal[0]! + p[1] * normal[1]! + p[2] * normal[2]! : undefined;
    return { h, distance };
  });
  keyed.sort((a, b) => {
    if (a.distance !== undefined && b.distance !== undefined) {
      if (Math.abs(a.distance - b.distance) > 1e-6) return a.distance - b.distance;
    } else if (a.distance !== undefined) return -1;
    else if (b.distance !== undefined) return 1;
    const ia = a.h.InstanceNumber;
    const ib = b.h.InstanceNumber;
    if (ia !== ib) {
      if (ia === undefined) return 1;
      if (ib === undefined) return -1;
      return ia - ib;
    }
    return a.h.SOPInstanceUID < b.h.SOPInstanceUID ? -1 : a.h.SOPInstanceUID > b.h.SOPInstanceUID ? 1 : 0;
  });
  return keyed.map((k) => k.h);
}
