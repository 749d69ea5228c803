/**
 * The node: assembles received instances into groups, runs the machine on each complete group,
 * and delivers the outputs, keeping every step in the group's state.json (group-state.ts).
 *
 * - A group is complete after `idleMs` of silence with no open batch feeding it.
 * - One run at a time; deliveries go on beside it, one at a time, retried with back-off.
 * - A late instance sends a group back to `received`: it runs again on the union, unless the set
 *   of SOP Instance UIDs is the one a finished run already had.
 * - At start, the state on disk is taken up again: waiting groups wait a full idle window, a run a
 *   crash interrupted starts once more (a second crash fails it; its machine, if a crash of berth
 *   left it running, is stopped first), deliveries resume.
 * - With `pruneAfterMs`, the data of groups settled that long is removed (prune.ts).
 */
import path from 'node:path';
import { isBerthError } from '../errors.js';
import type { LaunchRecord } from '../harness/drivers/orphans.js';
import { newRunId } from '../harness/drivers/sweep.js';
import type { Destination } from './dest.js';
import { DEFAULT_RETRY, backoffMs, deliver as deliverFiles, type RetryPolicy } from './delivery.js';
import type { EventLog } from './event-log.js';
import {
  lastRun,
  newGroupState,
  readGroupState,
  setHash,
  statusAfter,
  writeGroupState,
  type GroupRun,
  type GroupState,
} from './group-state.js';
import type { GroupRunResult } from './group-run.js';
import { prunable, pruneGroup } from './prune.js';
import type { CommittedGroup } from './sink.js';
import { instanceUids, type Spool } from './spool.js';
import { Wakes } from './wakes.js';

/**
 * Runs the machine on a group's instances `uids` in the run folder `runs/<folder>`; `launch`, when
 * the node records one, is the id the driver must give the machine.
 */
export type RunFn = (
  key: string,
  folder: string,
  uids: readonly string[],
  launch?: LaunchRecord,
) => Promise<GroupRunResult>;
/** Stops a machine a killed berth left running; what it did, in words (drivers/orphans.ts). */
export type StopOrphanFn = (launch: LaunchRecord) => Promise<string[]>;
/** Delivers files to a destination. */
export type DeliverFn = (dest: Destination, files: readonly string[], callingAet: string) => Promise<void>;

/** A run interrupted this many times (a crash of berth each time) is failed, not started again. */
export const MAX_RUN_ATTEMPTS = 2;

export interface NodeOptions {
  readonly spool: Spool;
  /** Silence before a group is complete (`--idle`, default 10 s). */
  readonly idleMs: number;
  readonly run: RunFn;
  readonly destinations: readonly Destination[];
  /** The AE title berth calls destinations as (`--aet`). */
  readonly callingAet: string;
  readonly log: EventLog;
  /** Group keys an open batch feeds now (the sink's `feeding()`). */
  readonly feeding: () => ReadonlySet<string>;
  readonly retry?: RetryPolicy;
  readonly deliver?: DeliverFn;
  /** How often the node looks at its groups (default min(1 s, idle / 4)). */
  readonly tickMs?: number;
  /**
   * The driver (and engine) runs use: with it, each attempt's {@link LaunchRecord} is written to
   * the state before the machine starts, and `stopOrphan` gets it back at the next start.
   */
  readonly driver?: { readonly driver: string; readonly engine?: string };
  readonly stopOrphan?: StopOrphanFn;
  /** `--prune-after`: the data of groups settled this long is removed (prune.ts); absent: kept. */
  readonly pruneAfterMs?: number;
}

export class ListenNode {
  private readonly states = new Map<string, GroupState>();
  private readonly queue: string[] = [];
  private readonly locks = new Map<string, Promise<unknown>>();
  private running: Promise<void> | undefined;
  private delivering: Promise<void> | undefined;
  private pruning: Promise<void> | undefined;
  /** What is left of finished runs (finishLater). */
  private readonly finishing = new Set<Promise<void>>();
  private lastPrune = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Per group, a look armed for the moment its idle window ends. */
  private readonly wakes = new Wakes(() => void this.tick());
  private ticking = false;
  /** A look was asked for while one was under way: another follows it. */
  private again = false;
  private draining = false;
  private readonly retry: RetryPolicy;
  private readonly deliverFn: DeliverFn;

  constructor(private readonly o: NodeOptions) {
    this.retry = o.retry ?? DEFAULT_RETRY;
    this.deliverFn = o.deliver ?? deliverFiles;
  }

  /** Takes up the spool's state again and starts looking at the groups. */
  async start(): Promise<void> {
    for (const key of await this.o.spool.groupKeys()) await this.locked(key, () => this.recover(key));
    const tick = this.o.tickMs ?? Math.max(50, Math.min(1000, this.o.idleMs / 4));
    this.timer = setInterval(() => void this.tick(), tick);
    void this.tick();
  }

  /** A batch was committed into these groups (called by the sink once the merge is on disk). */
  async committed(groups: readonly CommittedGroup[]): Promise<void> {
    for (const g of groups) {
      await this.locked(g.key, async () => {
        const s = this.states.get(g.key) ?? (await this.load(g.key)) ?? newGroupState(g.key, new Date());
        s.lastReceivedAt = new Date().toISOString();
        // A run under way keeps its status; once over, it sees the set has changed.
        if (s.status !== 'running') s.status = 'received';
        const queued = this.queue.indexOf(g.key);
        if (queued >= 0) this.queue.splice(queued, 1);
        await this.save(s);
        this.o.log.event('group.received', { group: g.key, instances: g.instances.length });
        this.wakes.arm(g.key, Date.parse(s.lastReceivedAt) + this.o.idleMs);
      });
    }
  }

  /** Stops starting work at once (what is under way goes on, and its end is still recorded). */
  stop(): void {
    this.draining = true;
    if (this.timer) clearInterval(this.timer);
    this.wakes.clear();
  }

  /** Stops starting work, and waits for the run and the delivery under way to end. */
  async drain(): Promise<void> {
    this.stop();
    await Promise.allSettled([this.running, this.delivering, this.pruning, ...this.finishing]);
    await Promise.allSettled([...this.locks.values()]);
  }

  /** The groups as the node knows them now. */
  groups(): readonly GroupState[] {
    return [...this.states.values()];
  }

  private async load(key: string): Promise<GroupState | undefined> {
    const s = await readGroupState(this.o.spool.group(key).state);
    if (s) this.states.set(key, s);
    return s;
  }

  private async save(s: GroupState): Promise<void> {
    this.states.set(s.key, s);
    await writeGroupState(this.o.spool.group(s.key).state, s);
  }

  /** Runs `fn` after every earlier step on the same group (state writes never interleave). */
  private locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const next = before.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }

  /** One group's state at start. */
  private async recover(key: string): Promise<void> {
    let s: GroupState;
    try {
      s = (await this.load(key)) ?? newGroupState(key, new Date());
    } catch (e) {
      this.o.log.event('group.unreadable', { group: key, error: isBerthError(e) ? e.message : String(e) });
      return;
    }
    const run = lastRun(s);
    if (s.status === 'running' && run?.finishedAt === undefined && run?.launch) {
      await this.stopOrphan(key, run.id, run.launch);
    }
    if (s.status === 'received' || s.status === 'complete') {
      // The idle window starts again: instances may still come from a peer retrying.
      s.status = 'received';
      s.lastReceivedAt = new Date().toISOString();
    } else if (s.status === 'running' && run && run.finishedAt === undefined) {
      if (run.attempts >= MAX_RUN_ATTEMPTS) {
        this.finishRun(s, run, {
          outcome: 'crashed',
          reason: `berth stopped during this run ${run.attempts} times`,
          dicomOutputs: [],
          otherOutputs: [],
        });
      } else {
        this.queue.push(key);
        this.o.log.event('run.resumed', { group: key, run: run.id, attempt: run.attempts + 1 });
      }
    }
    await this.save(s);
  }

  /** Stops the machine of an interrupted run, if a crash of berth left it running. */
  private async stopOrphan(key: string, runId: string, launch: LaunchRecord): Promise<void> {
    if (!this.o.stopOrphan) return;
    try {
      const notes = await this.o.stopOrphan(launch);
      if (notes.length > 0) this.o.log.event('run.orphan-stopped', { group: key, run: runId, notes });
    } catch (e) {
      this.o.log.event('run.orphan-error', { group: key, run: runId, error: (e as Error).message });
    }
  }

  private async tick(): Promise<void> {
    if (this.draining) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    try {
      const feeding = this.o.feeding();
      const now = Date.now();
      for (const s of [...this.states.values()]) {
        if (s.status !== 'received' || feeding.has(s.key)) continue;
        const due = Date.parse(s.lastReceivedAt) + this.o.idleMs;
        // Looked at the moment its window ends, not at the next periodic look (which stays, for a
        // group whose feeding batch was discarded rather than committed).
        if (now < due) {
          this.wakes.arm(s.key, due); // a timer that fired early, a window taken up again at start
          continue;
        }
        await this.locked(s.key, () => this.complete(s.key));
      }
      this.startRun();
      this.startDelivery();
      this.startPrune(feeding);
    } catch (e) {
      this.o.log.event('node.error', { error: (e as Error).message });
    } finally {
      this.ticking = false;
      if (this.again) {
        this.again = false;
        void this.tick();
      }
    }
  }

  /** The idle window is over: run the group, unless a finished run had this very set. */
  private async complete(key: string): Promise<void> {
    const s = this.states.get(key)!;
    if (s.status !== 'received') return;
    const uids = await instanceUids(this.o.spool.group(key).instances);
    const hash = setHash(uids);
    const run = lastRun(s);
    if (run?.finishedAt !== undefined && run.setHash === hash) {
      s.status = statusAfter(run);
      await this.save(s);
      this.o.log.event('group.unchanged', { group: key, instances: uids.length, status: s.status });
      return;
    }
    s.status = 'complete';
    await this.save(s);
    this.queue.push(key);
    this.o.log.event('group.complete', { group: key, instances: uids.length });
  }

  private startRun(): void {
    if (this.running || this.draining) return;
    const key = this.queue.shift();
    if (key === undefined) return;
    this.running = this.locked(key, () => this.prepareRun(key))
      .then((prepared) => (prepared ? this.execute(key, prepared.run, prepared.uids) : undefined))
      .catch((e: unknown) => this.o.log.event('run.error', { group: key, error: (e as Error).message }))
      .finally(() => {
        this.running = undefined;
        void this.tick();
      });
  }

  /** Records the run as started (a new one, or the interrupted one again) before it starts. */
  private async prepareRun(key: string): Promise<{ run: GroupRun; uids: string[] } | undefined> {
    const s = this.states.get(key)!;
    const uids = await instanceUids(this.o.spool.group(key).instances);
    const unfinished = lastRun(s);
    let run: GroupRun;
    if (s.status === 'running' && unfinished && unfinished.finishedAt === undefined) {
      run = unfinished;
      run.attempts++;
    } else if (s.status === 'complete') {
      run = {
        id: `r${s.runs.length + 1}`,
        folder: '',
        setHash: '',
        instances: 0,
        attempts: 1,
        startedAt: '',
        dicomOutputs: [],
        otherOutputs: [],
        deliveries: [],
      };
      s.runs.push(run);
    } else return undefined;
    Object.assign(run, {
      setHash: setHash(uids),
      instances: uids.length,
      startedAt: new Date().toISOString(),
      folder: `runs/${run.attempts > 1 ? `${run.id}-${run.attempts}` : run.id}`,
    });
    if (this.o.driver) run.launch = { ...this.o.driver, runId: newRunId() };
    else delete run.launch;
    s.status = 'running';
    await this.save(s);
    this.o.log.event('run.started', {
      group: key,
      run: run.id,
      attempt: run.attempts,
      instances: uids.length,
    });
    return { run, uids };
  }

  private async execute(key: string, run: GroupRun, uids: readonly string[]): Promise<void> {
    const result = await this.o.run(key, path.basename(run.folder), uids, run.launch);
    await this.locked(key, async () => {
      const s = this.states.get(key)!;
      this.finishRun(s, run, result);
      // Instances that came during the run: the group waits its idle window and runs on the union.
      const now = await instanceUids(this.o.spool.group(key).instances);
      if (setHash(now) !== run.setHash) s.status = 'received';
      await this.save(s);
    });
    if (result.after) this.finishLater(key, run, result.after);
  }

  /**
   * What is left of a finished run (its HTML report), off the path to the destinations: once the
   * delivery attempt under way has ended (rendering holds the event loop its C-STORE needs),
   * under the group's lock (a prune waits for it), beside the next run; drain() waits for it.
   */
  private finishLater(key: string, run: GroupRun, after: () => Promise<void>): void {
    this.startDelivery();
    const done: Promise<void> = Promise.resolve(this.delivering)
      .then(() => this.locked(key, after))
      .catch((e: unknown) =>
        this.o.log.event('run.report-error', { group: key, run: run.id, error: (e as Error).message }),
      )
      .finally(() => this.finishing.delete(done));
    this.finishing.add(done);
  }

  private finishRun(s: GroupState, run: GroupRun, result: GroupRunResult): void {
    Object.assign(run, {
      finishedAt: new Date().toISOString(),
      outcome: result.outcome,
      reason: result.reason,
      dicomOutputs: result.dicomOutputs,
      otherOutputs: result.otherOutputs,
    });
    run.deliveries =
      result.dicomOutputs.length === 0
        ? []
        : this.o.destinations.map((d) => ({ dest: d.text, status: 'pending' as const, attempts: 0 }));
    s.status = statusAfter(run);
    this.o.log.event('run.finished', {
      group: s.key,
      run: run.id,
      outcome: run.outcome,
      reason: run.reason,
      dicomOutputs: run.dicomOutputs.length,
      otherOutputs: run.otherOutputs.length,
      status: s.status,
    });
  }

  /** Retention: the groups due, one at a time under their locks, at most once a minute. */
  private startPrune(feeding: ReadonlySet<string>): void {
    const after = this.o.pruneAfterMs;
    const now = Date.now();
    if (after === undefined || this.pruning || this.draining) return;
    if (now - this.lastPrune < Math.min(60_000, Math.max(after / 4, 50))) return;
    this.lastPrune = now;
    const due = [...this.states.values()].filter((s) => !feeding.has(s.key) && prunable(s, now, after));
    this.pruning = (async () => {
      for (const s of due) await this.locked(s.key, () => this.prune(s.key, after));
    })()
      .catch((e: unknown) => this.o.log.event('prune.error', { error: (e as Error).message }))
      .finally(() => (this.pruning = undefined));
  }

  private async prune(key: string, afterMs: number): Promise<void> {
    const s = this.states.get(key)!;
    if (this.o.feeding().has(key) || !prunable(s, Date.now(), afterMs)) return;
    const pruned = await pruneGroup(this.o.spool.group(key));
    s.prunedAt = new Date().toISOString();
    await this.save(s);
    this.o.log.event('group.pruned', { group: key, ...pruned });
  }

  private startDelivery(): void {
    if (this.delivering || this.draining) return;
    const next = this.nextDelivery();
    if (!next) return;
    this.delivering = this.attempt(next.key, next.run, next.index)
      .catch((e: unknown) =>
        this.o.log.event('delivery.error', { group: next.key, error: (e as Error).message }),
      )
      .finally(() => {
        this.delivering = undefined;
        void this.tick();
      });
  }

  private nextDelivery(): { key: string; run: GroupRun; index: number } | undefined {
    const now = Date.now();
    for (const s of this.states.values()) {
      for (const run of s.runs) {
        const index = run.deliveries.findIndex(
          (d) =>
            d.status === 'pending' && (d.nextAttemptAt === undefined || Date.parse(d.nextAttemptAt) <= now),
        );
        if (index >= 0) return { key: s.key, run, index };
      }
    }
    return undefined;
  }

  private async attempt(key: string, run: GroupRun, index: number): Promise<void> {
    const d = run.deliveries[index]!;
    const dest = this.o.destinations.find((x) => x.text === d.dest);
    const folder = path.join(this.o.spool.group(key).dir, run.folder);
    const files = run.dicomOutputs.map((rel) => path.join(folder, rel));
    let error: string | undefined;
    let code: string | undefined;
    if (!dest) error = `${d.dest} is no longer a --dest of this berth listen`;
    else {
      try {
        await this.deliverFn(dest, files, this.o.callingAet);
      } catch (e) {
        error = (e as Error).message;
        if (isBerthError(e)) code = e.code;
      }
    }
    await this.locked(key, async () => {
      const s = this.states.get(key)!;
      d.attempts++;
      if (error === undefined) {
        Object.assign(d, { status: 'delivered', deliveredAt: new Date().toISOString() });
        delete d.nextAttemptAt;
        this.o.log.event('delivery.done', {
          group: key,
          run: run.id,
          dest: d.dest,
          files: files.length,
          attempts: d.attempts,
        });
      } else {
        d.lastError = error;
        if (d.attempts >= this.retry.attempts || !dest) d.status = 'failed';
        else d.nextAttemptAt = new Date(Date.now() + backoffMs(this.retry, d.attempts)).toISOString();
        this.o.log.event('delivery.failed', {
          group: key,
          run: run.id,
          dest: d.dest,
          attempts: d.attempts,
          ...(code === undefined ? {} : { code }),
          error,
          retryAt: d.nextAttemptAt,
          final: d.status === 'failed',
        });
      }
      if (s.status === 'sending' && run === lastRun(s)) s.status = statusAfter(run);
      await this.save(s);
    });
  }
}
