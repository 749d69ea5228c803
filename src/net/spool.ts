/**
 * The spool's layout (`berth listen --spool DIR`, default `./berth-spool`): where each part of the
 * node keeps its files. The receivers own `staging/` and `groups/<key>/instances/`; the node owns
 * the rest of `groups/<key>/` (state.json, runs/) — see README, "Deploy next to a PACS".
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../errors.js';
import { uidProblem } from '../kinds/dicom-constraints.js';
import { groupInstancesDir } from './staging.js';

/** The spool folder when `--spool` is not given. */
export const DEFAULT_SPOOL = 'berth-spool';

/** The folders and files of one group (a study, or a series with `--group series`). */
export interface GroupPaths {
  readonly dir: string;
  readonly instances: string;
  readonly state: string;
  readonly runs: string;
}

/** The paths of a spool. */
export class Spool {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get groupsDir(): string {
    return path.join(this.root, 'groups');
  }

  get stagingDir(): string {
    return path.join(this.root, 'staging');
  }

  /** A group's paths; its key must be a DICOM UID (never a path of its own). */
  group(key: string): GroupPaths {
    const problem = uidProblem(key);
    if (problem) {
      throw new BerthError('BERTH_E_LISTEN_SPOOL', `A group key must be a DICOM UID: ${problem}`, {
        path: this.groupsDir,
        expected: 'a StudyInstanceUID or SeriesInstanceUID',
      });
    }
    const dir = path.join(this.groupsDir, key);
    return {
      dir,
      instances: groupInstancesDir(this.root, key),
      state: path.join(dir, 'state.json'),
      runs: path.join(dir, 'runs'),
    };
  }

  /** Every group key on disk (folders named as UIDs; anything else is left alone). */
  async groupKeys(): Promise<string[]> {
    return (await entryNames(this.groupsDir)).filter((n) => uidProblem(n) === undefined).sort();
  }
}

/** The SOP Instance UIDs a group holds now (its `instances/<UID>.dcm` files), sorted. */
export async function instanceUids(instancesDir: string): Promise<string[]> {
  return (await entryNames(instancesDir))
    .filter((n) => n.endsWith('.dcm'))
    .map((n) => n.slice(0, -'.dcm'.length))
    .filter((uid) => uidProblem(uid) === undefined)
    .sort();
}

/** The names in `dir`; none when it does not exist (yet, or any more). */
export async function entryNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
