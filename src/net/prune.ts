/**
 * Spool retention (`berth listen --prune-after DAYS`): the data of a group that is settled — `sent`
 * or `not-applicable`, every run finished, no delivery pending — for longer than the window is
 * removed; its state.json and each run's report.json, report.html and case.json stay, so
 * `--status` and the reports still tell what happened.
 *
 * Removed: `instances/<UID>.dcm` that a run had (the same file, by inode, as one in a run's
 * `received/` snapshot), then everything else of each run folder (`received/`, `work/`). An
 * instance merged after the last run — a late one, or a re-sent one replacing its file — is
 * another inode and stays: it sends the group back to `received`, and its next run has only what
 * is left (the pruned instances are gone). Each instance is first renamed out of `instances/`
 * and checked there, so a merge renaming a new file into place meanwhile is never deleted.
 */
import { link, lstat, mkdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { GroupState } from './group-state.js';
import { entryNames, type GroupPaths } from './spool.js';

/** The files of a run folder that retention keeps. */
export const KEPT_RUN_FILES: ReadonlySet<string> = new Set(['report.json', 'report.html', 'case.json']);

/** When a group last changed: the latest receipt, run end or delivery (ms since the epoch). */
export function settledAt(s: GroupState): number {
  const times = [s.lastReceivedAt];
  for (const r of s.runs) {
    if (r.finishedAt) times.push(r.finishedAt);
    for (const d of r.deliveries) if (d.deliveredAt) times.push(d.deliveredAt);
  }
  return Math.max(...times.map((t) => Date.parse(t)).filter((t) => Number.isFinite(t)));
}

/** True when the group's data may go now: settled for `afterMs`, and not pruned since it last changed. */
export function prunable(s: GroupState, now: number, afterMs: number): boolean {
  if (s.status !== 'sent' && s.status !== 'not-applicable') return false;
  if (s.runs.some((r) => r.finishedAt === undefined || r.deliveries.some((d) => d.status === 'pending')))
    return false;
  const settled = settledAt(s);
  if (s.prunedAt !== undefined && Date.parse(s.prunedAt) >= settled) return false;
  return now - settled >= afterMs;
}

async function inode(file: string): Promise<string | undefined> {
  const s = await lstat(file).catch(() => undefined);
  return s?.isFile() ? `${s.dev}:${s.ino}` : undefined;
}

/**
 * Settles a file moved out of `instances/` into the trash: deleted when it is the file a run had
 * (`ran`, its inode), else linked back (a newer copy merged in meanwhile; unless a still newer one
 * is there). True when deleted.
 */
async function settle(moved: string, back: string, ran: string | undefined): Promise<boolean> {
  const mine = ran !== undefined && (await inode(moved)) === ran;
  if (!mine) await link(moved, back).catch(() => undefined);
  await unlink(moved);
  return mine;
}

/** The inode of each instance some run had, by file name (its hard link in a run's `received/`). */
async function ranInodes(group: GroupPaths, runs: readonly string[]): Promise<Map<string, string>> {
  const ran = new Map<string, string>();
  for (const run of runs) {
    const received = path.join(group.runs, run, 'received');
    for (const name of await entryNames(received)) {
      const id = await inode(path.join(received, name));
      if (id !== undefined) ran.set(name, id);
    }
  }
  return ran;
}

/** What {@link pruneGroup} removed. */
export interface Pruned {
  readonly instances: number;
  readonly runFolders: number;
}

/** Removes the data of one settled group (see the module's comment); never its state or reports. */
export async function pruneGroup(group: GroupPaths): Promise<Pruned> {
  const runs = (await entryNames(group.runs)).filter((n) => !n.startsWith('.'));
  const ran = await ranInodes(group, runs);
  const trash = path.join(group.runs, '.pruning');
  // A crash of berth in an earlier prune may have left files here: settled first.
  for (const name of await entryNames(trash))
    await settle(path.join(trash, name), path.join(group.instances, name), ran.get(name));
  await mkdir(trash, { recursive: true });
  let instances = 0;
  for (const [name, id] of ran) {
    const moved = path.join(trash, name);
    // The rename is atomic: a merge that renames a newer copy into place afterwards is untouched.
    const taken = await rename(path.join(group.instances, name), moved).then(
      () => true,
      () => false,
    );
    if (taken && (await settle(moved, path.join(group.instances, name), id))) instances++;
  }
  await rm(trash, { recursive: true, force: true });
  let runFolders = 0;
  for (const run of runs) {
    const dir = path.join(group.runs, run);
    const data = (await entryNames(dir)).filter((n) => !KEPT_RUN_FILES.has(n));
    for (const n of data) await rm(path.join(dir, n), { recursive: true, force: true });
    if (data.length > 0) runFolders++;
  }
  return { instances, runFolders };
}
