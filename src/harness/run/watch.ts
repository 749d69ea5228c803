import path from 'node:path';
import type { Finding } from '../../errors.js';
import { TailFollower, type TailState } from '../../tree/tail.js';
import { DEADLINE_PASSED, withDeadline } from '../deadline.js';
import { hasExited } from '../drivers/exit.js';
import { setLongTimeout } from '../long-timer.js';
import type { StatusSeen } from '../types.js';
import { UsageSampler } from '../usage.js';
import type { Run } from './case.js';
import type { Started } from './launch.js';
import { STOP_GRACE_MS } from './options.js';

/** The bytes of `progress` berth reads: only its last lines matter. */
export const PROGRESS_TAIL_BYTES = 4096;
/** The bytes of `warn` and `error` berth keeps (their ends). */
export const STATUS_TAIL_BYTES = 1024 * 1024;
/** How long the last read of the status folder, after the machine ended, may take. */
export const STATUS_READ_DEADLINE_MS = 5000;

/** A number before a `%` is at most this long (`-100.000…`): longer runs of digits are not progress. */
const MAX_NUMBER_CHARS = 64;
const NUMBER = /^-?[0-9]+(?:\.[0-9]+)?$/;

/**
 * The last `N%` written to a progress file, or null. Only the last {@link PROGRESS_TAIL_BYTES}
 * of `text` are looked at, scanning back from the last `%` (linear: a regex searching the whole
 * text took a minute on 300 KB of digits).
 */
export function lastProgress(text: string): number | null {
  const tail = text.length > PROGRESS_TAIL_BYTES ? text.slice(-PROGRESS_TAIL_BYTES) : text;
  for (let pct = tail.lastIndexOf('%'); pct > 0; pct = tail.lastIndexOf('%', pct - 1)) {
    let end = pct;
    while (end > 0 && /\s/.test(tail[end - 1]!)) end--;
    let start = end;
    while (start > 0 && end - start <= MAX_NUMBER_CHARS && /[0-9.]/.test(tail[start - 1]!)) start--;
    if (start > 0 && tail[start - 1] === '-') start--;
    const candidate = tail.slice(start, end);
    if (end - start > MAX_NUMBER_CHARS) continue;
    // "1.2.50%" reads as 2.50, as the number that ends at the '%'.
    const match = /-?[0-9]+(?:\.[0-9]+)?$/.exec(candidate);
    if (!match || !NUMBER.test(match[0])) continue;
    const n = Number(match[0]);
    if (Number.isFinite(n)) return Math.min(100, Math.max(0, n));
  }
  return null;
}

/** The three status files, each followed from its end. */
class StatusFiles {
  readonly progress: TailFollower;
  readonly warn: TailFollower;
  readonly error: TailFollower;

  constructor(dir: string) {
    this.progress = new TailFollower(path.join(dir, 'progress'), PROGRESS_TAIL_BYTES);
    this.warn = new TailFollower(path.join(dir, 'warn'), STATUS_TAIL_BYTES);
    this.error = new TailFollower(path.join(dir, 'error'), STATUS_TAIL_BYTES);
  }

  /** Reads what changed; undefined when nothing did. `fresh` re-reads every tail. */
  async read(fresh: boolean): Promise<StatusSeen | undefined> {
    const all = [this.progress, this.warn, this.error];
    if (fresh) for (const f of all) f.reset();
    const [progress, warn, error] = await Promise.all(all.map((f) => f.poll()));
    if (!fresh && [progress, warn, error].every((s) => s!.kind === 'text' && !s!.changed)) return undefined;
    const findings: Finding[] = [];
    const text = (s: TailState): string | undefined => {
      if (s.kind === 'refused') findings.push({ ...s.error.toFinding(), severity: 'warning' });
      return s.kind === 'text' ? s.bytes.toString('utf8') : undefined;
    };
    const p = text(progress!);
    const w = text(warn!);
    const e = text(error!);
    return {
      progress: p === undefined ? null : lastProgress(p),
      warnings: w === undefined ? [] : w.split(/\r?\n/).filter((l) => l.trim().length > 0),
      error: e === undefined || e.trim().length === 0 ? null : e.trim(),
      ...(findings.length > 0 ? { findings } : {}),
    };
  }
}

/**
 * Reads the status channel once. A missing file is simply nothing said; a status file that is a
 * symlink, FIFO, socket, device or directory is never followed or waited on, and becomes a
 * warning finding in `findings` (BERTH_E_TREE_SYMLINK, BERTH_E_TREE_SPECIAL, BERTH_E_TREE_NOT_FILE).
 */
export async function readStatus(dir: string): Promise<StatusSeen> {
  return (await new StatusFiles(dir).read(true))!;
}

/**
 * Polls the status channel while the machine runs and calls `onChange` when something new
 * appears. Polling, not fs.watch: the status directory may be a bind mount or inside a container,
 * where inotify events do not arrive. Each poll reads only what was appended to each file.
 */
export class StatusWatcher {
  private timer: NodeJS.Timeout | undefined;
  private last = '';
  private busy: Promise<StatusSeen> | undefined;
  private readonly files: StatusFiles;
  current: StatusSeen = { progress: null, warnings: [], error: null };

  constructor(
    dir: string,
    private readonly onChange: (s: StatusSeen) => void,
    private readonly intervalMs = 200,
  ) {
    this.files = new StatusFiles(dir);
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  /** Reads what changed since the last poll (one poll at a time). */
  poll(fresh = false): Promise<StatusSeen> {
    this.busy ??= this.read(fresh).finally(() => (this.busy = undefined));
    return this.busy;
  }

  private async read(fresh: boolean): Promise<StatusSeen> {
    const s = await this.files.read(fresh);
    if (s === undefined) return this.current;
    const key = JSON.stringify(s);
    if (key !== this.last) {
      this.last = key;
      this.current = s;
      this.onChange(s);
    }
    return this.current;
  }

  /**
   * Stops polling and reads every file once more, afresh, within {@link STATUS_READ_DEADLINE_MS}:
   * past it, the last status seen is kept with a finding that says so.
   */
  async stop(deadlineMs = STATUS_READ_DEADLINE_MS): Promise<StatusSeen> {
    if (this.timer) clearInterval(this.timer);
    const work = (this.busy ?? Promise.resolve(this.current)).then(() => this.poll(true));
    const s = await withDeadline(work, deadlineMs);
    if (s !== DEADLINE_PASSED) return s;
    const late: Finding = {
      code: 'BERTH_E_TREE_UNREADABLE',
      severity: 'warning',
      message: `The status folder could not be read within ${deadlineMs} ms after the machine ended`,
    };
    return { ...this.current, findings: [...(this.current.findings ?? []), late] };
  }
}

/** How the machine's process ended, and its wall time from the start of its launch. */
export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
}

/** The watch stage of a running machine: its status channel, its resource use, its timeout. */
export interface Watching {
  /** Resolves when the machine's process exits. */
  exited: Promise<Exited>;
  /** Whether berth stopped the machine at its timeout. */
  timedOut(): boolean;
  /** Stops sampling: the machine's CPU time and peak memory (null when unknown). */
  stopSampling(): Promise<{ cpuMs: number | null; peakRssBytes: number | null } | undefined>;
  /** Ends the watch: the timeout is lifted, the status folder read a last time. */
  stop(): Promise<StatusSeen>;
}

/**
 * Watches a started machine: polls its status folder (each change an event), samples its
 * processes' use, and stops it at the run's timeout (SIGTERM, then SIGKILL to the whole group).
 * The timeout stays in force until {@link Watching.stop}, not only until the machine exits: what
 * outlived it may still hold its pipes while they are read.
 */
export function watchMachine(run: Run, { launched, sinceMs }: Started): Watching {
  const watcher = new StatusWatcher(run.dirs.status, (s) => run.emit({ type: 'status', status: s }));
  watcher.start();
  const leader = launched.pgid;
  const sampler = launched.processes
    ? new UsageSampler(() => launched.processes!())
    : leader === undefined
      ? undefined
      : new UsageSampler(() => [leader]);
  sampler?.start();
  const child = launched.child;
  let timedOut = false;
  const timer = setLongTimeout(() => {
    if (!hasExited(child)) timedOut = true;
    void launched.stop(STOP_GRACE_MS);
  }, run.timeoutMs);
  const exited = new Promise<Exited>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) =>
      resolve({ code, signal, wallMs: performance.now() - sinceMs });
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
    else child.once('exit', done);
  });
  return {
    exited,
    timedOut: () => timedOut,
    stopSampling: async () => sampler?.stop(),
    stop: () => {
      timer.clear();
      return watcher.stop();
    },
  };
}
