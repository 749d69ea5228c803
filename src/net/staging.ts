/**
 * The ListenSink on a spool folder: each association / request stages its instances apart in
 * `staging/<batch-id>/`; a clean end merges them into `groups/<key>/instances/<SOPInstanceUID>.dcm`
 * by rename (one file system) after an fsync of every file; an abort drops the staging folder and
 * never touches what earlier batches merged. `recoverStaging()` finishes what a killed berth left.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { mkdir, open, readdir, rename, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../errors.js';
import { scanHeader } from '../dicom/scan.js';
import { syncDirectory } from '../tree/atomic.js';
import { mapLimited } from '../tree/entry.js';
import { safeJoin } from '../tree/safe-path.js';
import { instanceWriter, isSpoolUid } from './instance-writer.js';
import type {
  BatchSource,
  CommittedGroup,
  CommittedGroups,
  ExpectedInstance,
  InstanceWriter,
  ListenSink,
  ReceivedInstance,
  StagingBatch,
} from './sink.js';

/** How instances are grouped into what the node runs on (`--group`). */
export type GroupBy = 'study' | 'series';

export interface SpoolOptions {
  /** The spool folder (`--spool`, default `./berth-spool`). */
  readonly spool: string;
  /** Group by StudyInstanceUID (default) or SeriesInstanceUID. */
  readonly group?: GroupBy;
  /** Refuse new work when the spool's file system is fuller than this percentage. Default 90. */
  readonly watermarkPercent?: number;
  /** Largest instance (Part 10 bytes) received. Default 4 GiB. */
  readonly maxInstanceBytes?: number;
  /**
   * Sync instances and folders to disk before a commit is acknowledged (default true). False
   * (`--no-fsync`): what is acknowledged is in the file system — it survives berth being killed, not
   * a power loss or a kernel crash (as dcmtk's storescp; Orthanc's `SyncStorageArea: false`).
   */
  readonly fsync?: boolean;
}

export const DEFAULT_WATERMARK_PERCENT = 90;
export const DEFAULT_MAX_INSTANCE_BYTES = 4 * 1024 ** 3;

/** Prefix of a staging folder being deleted (a discarded batch): recovery finishes the deletion. */
const DROP_PREFIX = '.drop-';
/** fsyncs in flight at once when a batch commits. */
const SYNC_CONCURRENCY = 16;
/**
 * fsyncs in flight at once while instances arrive: each holds a libuv thread until the disk has
 * the file (instances are written on the event loop, see instance-writer.ts). More at once did not
 * receive measurably faster: 2 against 1 in alternating runs won and lost by turns (±100 ms of
 * 600–1100 ms on the bench's study, load 2.6–4), 4 and 8 were slower; the commit then runs
 * {@link SYNC_CONCURRENCY} at a time.
 */
const BACKGROUND_SYNCS = 1;
/** Kept files whose descriptor stays open while they wait for their background sync. */
const HELD_DESCRIPTORS = 64;

/** `groups/<key>/instances` of a spool: where committed instances of one group are. */
export function groupInstancesDir(spool: string, key: string): string {
  return safeJoin(spool, 'groups', key, 'instances');
}

/** The group key of an instance. */
export function groupKeyOf(instance: ReceivedInstance, group: GroupBy): string {
  return group === 'series' ? instance.seriesInstanceUid : instance.studyInstanceUid;
}

interface Kept {
  readonly instance: ReceivedInstance;
  readonly path: string;
  /** The file's fsync, started as soon as it was kept so the disk works while the network does. */
  readonly synced?: Promise<void>;
}

export class SpoolSink implements ListenSink {
  readonly spool: string;
  readonly group: GroupBy;
  readonly watermarkPercent: number;
  readonly maxInstanceBytes: number;
  readonly fsync: boolean;
  /** Group key → number of open batches feeding it. */
  private readonly feeders = new Map<string, number>();

  constructor(options: SpoolOptions) {
    this.spool = path.resolve(options.spool);
    this.group = options.group ?? 'study';
    this.watermarkPercent = options.watermarkPercent ?? DEFAULT_WATERMARK_PERCENT;
    this.maxInstanceBytes = options.maxInstanceBytes ?? DEFAULT_MAX_INSTANCE_BYTES;
    this.fsync = options.fsync ?? true;
  }

  get stagingDir(): string {
    return path.join(this.spool, 'staging');
  }

  async open(source: BatchSource): Promise<StagingBatch> {
    const id = `${Date.now()}-${source.protocol}-${randomUUID()}`;
    const dir = path.join(this.stagingDir, id);
    await mkdir(dir, { recursive: true });
    return new SpoolBatch(this, id, dir);
  }

  async full(): Promise<boolean> {
    await mkdir(this.spool, { recursive: true });
    return (await usedPercent(this.spool)) > this.watermarkPercent;
  }

  feeding(): ReadonlySet<string> {
    return new Set(this.feeders.keys());
  }

  private syncing = 0;
  private readonly syncQueue: (() => void)[] = [];
  /** Commits waiting for their files' fsyncs: while there is one, fsyncs run many at a time. */
  private committing = 0;

  private get syncLimit(): number {
    return this.committing > 0 ? SYNC_CONCURRENCY : BACKGROUND_SYNCS;
  }

  /**
   * @internal Makes a kept file durable in the background, {@link BACKGROUND_SYNCS} at a time:
   * fdatasync on the descriptor it was written through (no second open), then closes it. A disk
   * that falls behind a long study would leave one open descriptor per queued file; past
   * {@link HELD_DESCRIPTORS} in the queue the descriptor is closed at once and the file reopened
   * for its sync when its turn comes.
   */
  async syncSoon(fd: number, file: string): Promise<void> {
    if (!this.fsync) return fs.closeSync(fd);
    let held: number | undefined = fd;
    if (this.syncing >= this.syncLimit && this.syncQueue.length >= HELD_DESCRIPTORS) {
      fs.closeSync(fd);
      held = undefined;
    }
    while (this.syncing >= this.syncLimit) await new Promise<void>((resolve) => this.syncQueue.push(resolve));
    this.syncing += 1;
    try {
      await (held === undefined ? fsyncFile(file) : syncAndClose(held));
    } finally {
      this.syncing -= 1;
      this.syncQueue.shift()?.();
    }
  }

  /** Lets queued fsyncs start up to the current limit. */
  private wakeSyncs(): void {
    for (let free = this.syncLimit - this.syncing; free > 0 && this.syncQueue.length > 0; free--) {
      this.syncQueue.shift()?.();
    }
  }

  /** Waits for every kept file's sync (started in the background, or now), many at a time. */
  private async syncAll(kept: readonly Kept[]): Promise<void> {
    this.committing += 1;
    try {
      this.wakeSyncs();
      await mapLimited(kept, SYNC_CONCURRENCY, (k) => k.synced ?? fsyncFile(k.path));
    } finally {
      this.committing -= 1;
    }
  }

  /** @internal A batch started (`+1`) or stopped (`-1`) feeding a group. */
  feed(key: string, delta: 1 | -1): void {
    const n = (this.feeders.get(key) ?? 0) + delta;
    if (n > 0) this.feeders.set(key, n);
    else this.feeders.delete(key);
  }

  /**
   * @internal Merges kept instances into their groups: fsync every file, rename, fsync folders (no
   * fsync without {@link SpoolOptions.fsync}).
   */
  async merge(kept: readonly Kept[]): Promise<CommittedGroups> {
    if (this.fsync) await this.syncAll(kept);
    else await Promise.all(kept.map((k) => k.synced));
    const groups = new Map<string, ReceivedInstance[]>();
    for (const { instance, path: from } of kept) {
      const key = groupKeyOf(instance, this.group);
      const dir = groupInstancesDir(this.spool, key);
      if (!groups.has(key)) {
        await mkdir(dir, { recursive: true });
        groups.set(key, []);
      }
      // Synchronous, as the instances were written: 300 renames cost ~10 ms so, ~100 ms one
      // thread-pool round trip each on a busy host.
      fs.renameSync(from, path.join(dir, `${instance.sopInstanceUid}.dcm`));
      groups.get(key)?.push(instance);
    }
    if (this.fsync) {
      await mapLimited([...groups.keys()], SYNC_CONCURRENCY, (key) =>
        syncDirectory(groupInstancesDir(this.spool, key)),
      );
    }
    return { groups: [...groups].map(([key, instances]): CommittedGroup => ({ key, instances })) };
  }

  /**
   * At start, before receivers listen: commits every staging batch a killed berth left behind (its
   * finished instances were acknowledged, so they are kept), deletes partial files and discarded
   * batches. Returns the groups it merged into, for the node to assemble.
   */
  async recoverStaging(): Promise<CommittedGroups> {
    await mkdir(this.stagingDir, { recursive: true });
    const merged = new Map<string, ReceivedInstance[]>();
    for (const entry of await readdir(this.stagingDir, { withFileTypes: true })) {
      const dir = path.join(this.stagingDir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith(DROP_PREFIX)) {
        const { groups } = await this.merge(await keptIn(dir));
        for (const g of groups) merged.set(g.key, [...(merged.get(g.key) ?? []), ...g.instances]);
      }
      await rm(dir, { recursive: true, force: true });
    }
    await syncDirectory(this.stagingDir);
    return { groups: [...merged].map(([key, instances]) => ({ key, instances })) };
  }
}

/** The finished instances (`<SOPInstanceUID>.dcm`) of a staging folder left behind. */
async function keptIn(dir: string): Promise<Kept[]> {
  const kept: Kept[] = [];
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.dcm') || !isSpoolUid(name.slice(0, -4))) continue;
    const file = path.join(dir, name);
    try {
      const h = await scanHeader(file);
      if (
        h.SOPInstanceUID !== name.slice(0, -4) ||
        ![h.StudyInstanceUID, h.SeriesInstanceUID].every(isSpoolUid)
      ) {
        continue;
      }
      const bytes = (await fs.promises.stat(file)).size;
      const instance: ReceivedInstance = {
        sopInstanceUid: h.SOPInstanceUID,
        sopClassUid: h.SOPClassUID,
        studyInstanceUid: h.StudyInstanceUID,
        seriesInstanceUid: h.SeriesInstanceUID,
        transferSyntaxUid: h.TransferSyntaxUID,
        bytes,
      };
      kept.push({ instance, path: file });
    } catch {
      // Checked before it was kept; unreadable now means the disk lost it: nothing to commit.
    }
  }
  return kept;
}

class SpoolBatch implements StagingBatch {
  private seq = 0;
  private state: 'open' | 'committed' | 'discarded' = 'open';
  private readonly kept = new Map<string, Kept>();
  private readonly keys = new Set<string>();

  constructor(
    private readonly sink: SpoolSink,
    readonly id: string,
    private readonly dir: string,
  ) {}

  write(expected?: ExpectedInstance): InstanceWriter {
    if (this.state !== 'open') {
      throw new BerthError('BERTH_E_INTERNAL', `The staging batch ${this.id} is ${this.state}`);
    }
    this.seq += 1;
    return instanceWriter(
      {
        partPath: path.join(this.dir, `${this.seq}.part`),
        donePath: (sop) => path.join(this.dir, `${sop}.dcm`),
        maxBytes: this.sink.maxInstanceBytes,
        kept: (instance, file, fd) => this.keep(instance, file, fd),
      },
      expected,
    );
  }

  private keep(instance: ReceivedInstance, file: string, fd: number): void {
    const synced = this.sink.syncSoon(fd, file);
    // A failed fsync is seen (and thrown) by the commit that awaits it.
    synced.catch(() => undefined);
    this.kept.set(instance.sopInstanceUid, { instance, path: file, synced });
    const key = groupKeyOf(instance, this.sink.group);
    if (!this.keys.has(key)) {
      this.keys.add(key);
      this.sink.feed(key, 1);
    }
  }

  async commit(): Promise<CommittedGroups> {
    if (this.state !== 'open') return { groups: [] };
    this.state = 'committed';
    try {
      const committed = await this.sink.merge([...this.kept.values()]);
      await rm(this.dir, { recursive: true, force: true });
      return committed;
    } finally {
      this.release();
    }
  }

  async discard(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'discarded';
    this.release();
    const drop = path.join(path.dirname(this.dir), `${DROP_PREFIX}${this.id}`);
    // The rename marks the batch dropped at once: a crash during the deletion cannot commit it.
    await rename(this.dir, drop).catch(() => undefined);
    await rm(drop, { recursive: true, force: true });
  }

  private release(): void {
    for (const key of this.keys) this.sink.feed(key, -1);
    this.keys.clear();
  }
}

/** Used space of the file system holding `dir`, in percent of what non-root users can use (as df). */
async function usedPercent(dir: string): Promise<number> {
  const s = await statfs(dir);
  const used = s.blocks - s.bfree;
  const usable = used + s.bavail;
  return usable === 0 ? 100 : (used / usable) * 100;
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await open(file, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fdatasync, then close, of a descriptor (callback API: one thread-pool trip each, no FileHandle). */
function syncAndClose(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fdatasync(fd, (synced) => {
      fs.close(fd, (closed) => {
        const e = synced ?? closed;
        if (e) reject(e);
        else resolve();
      });
    });
  });
}
