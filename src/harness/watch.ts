import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { StatusSeen } from './types.js';

/** Reads the last `N%` written to a progress file, or null. */
export function lastProgress(text: string): number | null {
  const all = [...text.matchAll(/(-?[0-9]+(?:\.[0-9]+)?)\s*%/g)];
  const last = all[all.length - 1];
  if (!last) return null;
  const n = Number(last[1]);
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : null;
}

/** Reads the status channel once. Files are small; a missing file is simply nothing said. */
export async function readStatus(dir: string): Promise<StatusSeen> {
  const read = (name: string) =>
    readFile(path.join(dir, name), 'utf8').then(
      (t) => t.slice(-1024 * 1024),
      () => undefined,
    );
  const [progress, warn, error] = await Promise.all([read('progress'), read('warn'), read('error')]);
  return {
    progress: progress === undefined ? null : lastProgress(progress),
    warnings: warn === undefined ? [] : warn.split(/\r?\n/).filter((l) => l.trim().length > 0),
    error: error === undefined || error.trim().length === 0 ? null : error.trim(),
  };
}

/**
 * Polls the status channel while the machine runs and calls `onChange` when something new
 * appears. Polling, not fs.watch: the status directory may be a bind mount or inside a container,
 * where inotify events do not arrive.
 */
export class StatusWatcher {
  private timer: NodeJS.Timeout | undefined;
  private last = '';
  private busy = false;
  current: StatusSeen = { progress: null, warnings: [], error: null };

  constructor(
    private readonly dir: string,
    private readonly onChange: (s: StatusSeen) => void,
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  async poll(): Promise<StatusSeen> {
    if (this.busy) return this.current;
    this.busy = true;
    try {
      const s = await readStatus(this.dir);
      const key = JSON.stringify(s);
      if (key !== this.last) {
        this.last = key;
        this.current = s;
        this.onChange(s);
      }
      return s;
    } finally {
      this.busy = false;
    }
  }

  /** Stops polling and reads one last time. */
  async stop(): Promise<StatusSeen> {
    if (this.timer) clearInterval(this.timer);
    this.busy = false;
    return this.poll();
  }
}
