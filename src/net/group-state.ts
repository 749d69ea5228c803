/**
 * The state of one group (a study, or a series with `--group series`) on disk, in
 * `groups/<key>/state.json`, written atomically and durably at every step, so a restart (or a
 * SIGKILL) of `berth listen` loses nothing and re-runs nothing that finished:
 *
 *   received → complete → running → sending → sent
 *                                 ↘ failed | not-applicable
 *
 * A run records the hash of the SOP Instance UID set it ran on: a group that receives more
 * instances goes back to `received` and runs again on the union, unless the set is unchanged.
 */
import { createHash } from 'node:crypto';
import { BerthError, isBerthError } from '../errors.js';
import type { LaunchRecord } from '../harness/drivers/orphans.js';
import { isJsonObject } from '../manifest/document.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { readTextFile } from '../tree/read-text.js';

/** A group's place in its life (README, "Deploy next to a PACS"). */
export const GROUP_STATUSES = [
  'received',
  'complete',
  'running',
  'sending',
  'sent',
  'failed',
  'not-applicable',
] as const;
export type GroupStatus = (typeof GROUP_STATUSES)[number];

/** Statuses after which nothing more happens until new instances arrive. */
export function isSettled(status: GroupStatus): boolean {
  return status === 'sent' || status === 'failed' || status === 'not-applicable';
}

/** One destination's delivery of a run's DICOM outputs. */
export interface Delivery {
  /** `AET@host:port` or the DICOMweb base URL, as given to `--dest`. */
  readonly dest: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** When the next attempt may start (ISO time); absent: at once. */
  nextAttemptAt?: string;
  lastError?: string;
  deliveredAt?: string;
}

/** One run of the machine on a group. */
export interface GroupRun {
  /** `r1`, `r2` …: the folder under `runs/`. */
  readonly id: string;
  /** sha256 of the sorted SOP Instance UIDs the run was given. */
  readonly setHash: string;
  readonly instances: number;
  /** How many times the run was started (a run in flight at a crash starts once more). */
  attempts: number;
  /**
   * The run folder of the latest attempt, relative to the group folder: `runs/r1`, then `runs/r1-2`
   * (a machine a crash of berth orphaned may still be writing into the first one).
   */
  folder: string;
  startedAt: string;
  /**
   * What identifies the latest attempt's machine (driver, run id, engine), written before it is
   * launched: a restart after a SIGKILL of berth stops that machine before running again.
   */
  launch?: LaunchRecord;
  finishedAt?: string;
  /** The harness outcome (`passed`, `not-applicable`, `machine-error` …) or `crashed`. */
  outcome?: string;
  reason?: string;
  /** DICOM outputs to send, relative to the run folder. */
  dicomOutputs: string[];
  /** Outputs that are not DICOM: kept in the run folder and listed in its report. */
  otherOutputs: string[];
  deliveries: Delivery[];
}

/** The whole state of a group, as state.json holds it. */
export interface GroupState {
  readonly schema: 'berth-listen-group/1';
  readonly key: string;
  status: GroupStatus;
  /** First and last time a batch was committed into the group. */
  firstReceivedAt: string;
  lastReceivedAt: string;
  runs: GroupRun[];
  /** When `--prune-after` last removed the group's data (prune.ts); state and reports stay. */
  prunedAt?: string;
}

/** A fresh group that has just received its first instances. */
export function newGroupState(key: string, now: Date): GroupState {
  const at = now.toISOString();
  return {
    schema: 'berth-listen-group/1',
    key,
    status: 'received',
    firstReceivedAt: at,
    lastReceivedAt: at,
    runs: [],
  };
}

/** The hash that identifies a set of SOP Instance UIDs (order does not matter). */
export function setHash(uids: readonly string[]): string {
  const h = createHash('sha256');
  for (const uid of [...uids].sort()) h.update(uid).update('\n');
  return h.digest('hex');
}

/** The latest run, if any. */
export function lastRun(state: GroupState): GroupRun | undefined {
  return state.runs[state.runs.length - 1];
}

/** A finished run's group status: its outcome, then its deliveries. */
export function statusAfter(run: GroupRun): GroupStatus {
  if (run.outcome === 'not-applicable') return 'not-applicable';
  if (run.outcome !== 'passed') return 'failed';
  if (run.deliveries.some((d) => d.status === 'pending')) return 'sending';
  return run.deliveries.some((d) => d.status === 'failed') ? 'failed' : 'sent';
}

/** The most bytes of a state.json berth reads back. */
export const MAX_STATE_BYTES = 4 * 1024 * 1024;

/** Reads a group's state; undefined when the group has none yet. */
export async function readGroupState(file: string): Promise<GroupState | undefined> {
  let text: string;
  try {
    text = await readTextFile(file, MAX_STATE_BYTES);
  } catch (e) {
    if (isBerthError(e) && e.code === 'BERTH_E_NOT_FOUND') return undefined;
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badState(file, 'is not JSON');
  }
  if (
    !isJsonObject(value as never) ||
    (value as GroupState).schema !== 'berth-listen-group/1' ||
    !GROUP_STATUSES.includes((value as GroupState).status) ||
    !Array.isArray((value as GroupState).runs)
  ) {
    throw badState(file, 'is not a berth-listen-group/1 document');
  }
  return value as GroupState;
}

function badState(file: string, what: string): BerthError {
  return new BerthError('BERTH_E_LISTEN_SPOOL', `The group state ${what}`, {
    path: file,
    expected: 'a state.json written by berth listen',
  });
}

/** Writes a group's state atomically and durably (fsync before the rename). */
export function writeGroupState(file: string, state: GroupState): Promise<void> {
  return writeFileAtomic(file, JSON.stringify(state, null, 2) + '\n', { durable: true });
}
