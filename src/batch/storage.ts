/**
 * Where a batch keeps its results. A case's files are written into a private staging folder,
 * then committed: moved into place as one unit, and only then marked complete. A reader (or a
 * resumed batch) therefore sees a case folder with its marker — finished and whole — or no
 * marker, which means "run it again"; never a half-written case that counts as done.
 *
 * {@link Storage} is the seam for other stores (an S3 bucket stages locally and uploads on
 * commit, the marker last); {@link LocalStorage} is a folder on the local file system.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, isBerthError, toBerthError } from '../errors.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { readTextFile } from '../tree/read-text.js';
import { safeJoin } from '../tree/safe-path.js';
import { isRecordOf, type CaseRecord } from './job.js';

/** The completed marker's name inside a case folder. */
export const COMPLETE_MARKER = '.complete';

/** The name prefix of staging folders under `--out`. */
export const STAGING_PREFIX = '.tmp-';

/** The most bytes of a completed marker berth reads back. */
export const MAX_MARKER_BYTES = 4 * 1024 * 1024;

/** A case's private folder, written by one job and then committed or discarded. */
export interface Staging {
  /** A local folder the job writes the case's files into. */
  dir: string;
  /**
   * Puts the files in place as the case's folder with its completed marker, unless the case
   * already has one: the first commit of a case wins (a re-delivered job that ran twice at once
   * never writes a second result over the first). Returns the record that stands — `record`, or
   * the earlier one (this staging folder is then discarded).
   */
  commit(record: CaseRecord): Promise<CaseRecord>;
  /** Removes the staging folder and everything in it. */
  discard(): Promise<void>;
}

/** A batch's result store. */
export interface Storage {
  /** Where it is, in words (a folder, a URL). */
  readonly location: string;
  /** The completed record of a case, or undefined when the case has not finished. */
  completed(id: string): Promise<CaseRecord | undefined>;
  /** Where a case's files are once committed, in words (a folder, a URL), for reports to name. */
  caseLocation(id: string): string;
  /** A fresh staging folder for a case. */
  stage(id: string): Promise<Staging>;
  /** Writes a file of the batch itself (`batch.json`, `batch.html`) atomically. */
  writeBatchFile(name: string, data: string): Promise<void>;
  /** Removes what killed jobs left behind (staging folders). */
  sweep(): Promise<void>;
}

/** How often a commit sets aside an unmarked case folder and tries again before it gives up. */
const MAX_COMMIT_ATTEMPTS = 3;

/**
 * Renames `from` to `to`; false when `to` is taken (a non-empty folder, or not a folder) or
 * `from` is gone — another commit got there first.
 */
async function renameUnlessTaken(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (
      code === 'ENOTEMPTY' ||
      code === 'EEXIST' ||
      code === 'ENOTDIR' ||
      code === 'EISDIR' ||
      code === 'ENOENT'
    )
      return false;
    throw e;
  }
}

/** True when `<folder>/.complete` is there in any form (unlike {@link Storage.completed}, unread). */
async function markerPresent(folder: string): Promise<boolean> {
  try {
    await lstat(path.join(folder, COMPLETE_MARKER));
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw e;
  }
}

/** A nonce and up to 64 bytes of the id, so a leftover tells whose it was and stays under 255 bytes. */
function stagingName(id: string): string {
  const hint = Buffer.from(id, 'utf8').subarray(0, 64).toString('utf8');
  return `${STAGING_PREFIX}${hint}-${randomBytes(6).toString('hex')}`;
}

/** Results in a local folder: `<out>/<case-id>/` with `<out>/<case-id>/.complete`. */
export class LocalStorage implements Storage {
  readonly location: string;

  constructor(readonly root: string) {
    this.location = path.resolve(root);
  }

  /** Creates the folder (and its parents) when it is missing; a file there is BERTH_E_USAGE. */
  async open(): Promise<void> {
    try {
      await mkdir(this.location, { recursive: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTDIR')
        throw toBerthError(e, 'BERTH_E_IO', { path: this.location });
      throw new BerthError('BERTH_E_USAGE', '--out is not a folder', {
        path: this.location,
        expected: 'a folder for the case folders and the batch report, or a path where one can be made',
      });
    }
  }

  async completed(id: string): Promise<CaseRecord | undefined> {
    let text: string;
    try {
      text = await readTextFile(safeJoin(this.location, id, COMPLETE_MARKER), MAX_MARKER_BYTES);
    } catch (e) {
      if (isBerthError(e) && e.code === 'BERTH_E_PROPERTY_NAME') throw e;
      return undefined;
    }
    try {
      const value: unknown = JSON.parse(text);
      return isRecordOf(value, id) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  caseLocation(id: string): string {
    return safeJoin(this.location, id);
  }

  async stage(id: string): Promise<Staging> {
    const target = safeJoin(this.location, id);
    const dir = path.join(this.location, stagingName(id));
    await mkdir(dir);
    return {
      dir,
      commit: async (record) => {
        // The marker goes in first: one rename then puts the folder in place whole and marked.
        await writeFileAtomic(path.join(dir, COMPLETE_MARKER), JSON.stringify(record, null, 2) + '\n');
        for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
          // rename(2) never replaces a non-empty folder: of two commits of a case, one wins.
          if (await renameUnlessTaken(dir, target)) return record;
          const earlier = await this.completed(id);
          if (earlier) {
            await rm(dir, { recursive: true, force: true });
            return earlier;
          }
          // A marker berth cannot read (an I/O error, not berth's) is never thrown away with its folder.
          if (await markerPresent(target)) {
            throw new BerthError('BERTH_E_IO', `${target} has a completed marker berth cannot read`, {
              path: path.join(target, COMPLETE_MARKER),
              expected: "a marker berth wrote, readable (remove the case's folder to run it again)",
            });
          }
          // Something unmarked is there (an older berth's killed commit, a stray file): set aside whole.
          const aside = path.join(this.location, stagingName(id));
          if (await renameUnlessTaken(target, aside)) await rm(aside, { recursive: true, force: true });
        }
        throw new BerthError('BERTH_E_IO', `${target} could not be replaced by the case's results`, {
          path: target,
          expected: 'a case folder berth alone writes',
        });
      },
      discard: () => rm(dir, { recursive: true, force: true }),
    };
  }

  async writeBatchFile(name: string, data: string): Promise<void> {
    await writeFileAtomic(safeJoin(this.location, name), data);
  }

  async sweep(): Promise<void> {
    for (const name of await readdir(this.location)) {
      if (!name.startsWith(STAGING_PREFIX)) continue;
      const p = path.join(this.location, name);
      if ((await lstat(p).catch(() => undefined))?.isDirectory())
        await rm(p, { recursive: true, force: true });
    }
  }
}
