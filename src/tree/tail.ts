/**
 * Follows the end of a file another process keeps writing (a machine's status files): each
 * {@link TailFollower.poll} reads only what was appended since the last one, and keeps at most
 * the last `capBytes` bytes. The file is opened as every machine-written file is
 * ({@link openRegularCallback}: no-follow, non-blocking, regular files only).
 *
 * A file that was replaced (another inode), truncated, or rewritten in place (the bytes just
 * before the old end changed, as `echo 60% > progress` over `50%` does) is read again from its
 * last `capBytes`. A poll never reads more than `capBytes` plus a few bytes, however much was
 * written, and a file whose identity, size and mtime are unchanged is not read at all.
 */
import type { Stats } from 'node:fs';
import type { BerthError } from '../errors.js';
import { closeQuietly, openRegular, readAt } from './open-regular.js';

/** Bytes kept from before the old end, to tell an append from a rewrite. */
const ANCHOR_BYTES = 64;

/** What a poll found. */
export type TailState =
  | { kind: 'missing' }
  | { kind: 'refused'; error: BerthError }
  | { kind: 'text'; bytes: Buffer; changed: boolean };

interface Seen {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

/** Follows one file; see the module comment. */
export class TailFollower {
  private seen: Seen | undefined;
  private kept: Buffer = Buffer.alloc(0);

  constructor(
    readonly path: string,
    readonly capBytes: number,
  ) {}

  /** Reads what was appended (or the tail again, when the file was replaced or rewritten). */
  async poll(): Promise<TailState> {
    let opened: { fd: number; stats: Stats };
    try {
      opened = await openRegular(this.path);
    } catch (e) {
      this.reset();
      const code = (e as BerthError).code;
      return code === 'BERTH_E_NOT_FOUND' ? { kind: 'missing' } : { kind: 'refused', error: e as BerthError };
    }
    const { fd, stats } = opened;
    try {
      const now: Seen = { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
      const before = this.seen;
      if (before && sameSeen(before, now)) return { kind: 'text', bytes: this.kept, changed: false };
      const appended = before !== undefined && (await this.readAppended(fd, before, now));
      if (!appended) now.size = await this.readTail(fd, now.size);
      this.seen = now;
      return { kind: 'text', bytes: this.kept, changed: true };
    } catch (e) {
      this.reset();
      return { kind: 'refused', error: e as BerthError };
    } finally {
      await closeQuietly(fd);
    }
  }

  /** Forgets what was read, so the next poll reads the tail afresh (a final, authoritative read). */
  reset(): void {
    this.seen = undefined;
    this.kept = Buffer.alloc(0);
  }

  /** Appends what follows the old end, when the file only grew; false when it must be re-read. */
  private async readAppended(fd: number, before: Seen, now: Seen): Promise<boolean> {
    if (before.dev !== now.dev || before.ino !== now.ino || now.size < before.size) return false;
    const grown = now.size - before.size;
    if (grown > this.capBytes) return false; // everything kept would be replaced anyway
    const anchor = this.kept.subarray(Math.max(0, this.kept.length - ANCHOR_BYTES));
    const from = before.size - anchor.length;
    const buf = Buffer.allocUnsafe(anchor.length + grown);
    const n = await readAt(fd, buf, 0, buf.length, from);
    if (n < anchor.length || !buf.subarray(0, anchor.length).equals(anchor)) return false;
    const added = buf.subarray(anchor.length, n);
    const all = Buffer.concat([this.kept, added]);
    this.kept = all.length > this.capBytes ? Buffer.from(all.subarray(all.length - this.capBytes)) : all;
    now.size = before.size + added.length;
    return true;
  }

  /** Keeps the last `capBytes` of the file; answers where its end was found. */
  private async readTail(fd: number, size: number): Promise<number> {
    const start = Math.max(0, size - this.capBytes);
    const buf = Buffer.allocUnsafe(size - start);
    const n = await readAt(fd, buf, 0, buf.length, start);
    this.kept = buf.subarray(0, n);
    return start + n;
  }
}

function sameSeen(a: Seen, b: Seen): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}
