import type { Dirent } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
import { BerthError, isBerthError, type ErrorDetails } from '../errors.js';
import { isInside } from './safe-path.js';

/** What a path in a tree turned out to be, symlinks inside the root followed. */
export type EntryKind = 'file' | 'directory' | 'missing' | 'symlink-outside' | 'special' | 'unreadable';

/** A classified tree entry. */
export interface EntryInfo {
  kind: EntryKind;
  /** The real path (symlinks resolved) for files and directories. */
  real?: string;
  /** Why it is unreadable. */
  reason?: string;
}

/**
 * Classifies a directory entry from its Dirent alone, synchronously, when that suffices: regular
 * files, directories and special files. Undefined for a symlink (which needs resolving) and for
 * a Dirent whose type the file system did not report.
 */
export function direntInfo(dirent: Dirent, abs: string): EntryInfo | undefined {
  if (dirent.isFile()) return { kind: 'file', real: abs };
  if (dirent.isDirectory()) return { kind: 'directory', real: abs };
  if (dirent.isSymbolicLink()) return undefined;
  if (dirent.isFIFO() || dirent.isSocket() || dirent.isCharacterDevice() || dirent.isBlockDevice()) {
    return { kind: 'special' };
  }
  return undefined;
}

/**
 * Classifies a path without ever opening it: a symlink is followed only when its target lies
 * inside `realRoot`; FIFOs, sockets and devices are reported, never opened (a FIFO would block).
 * Pass the Dirent from a directory listing to save an lstat.
 */
export async function classifyEntry(abs: string, realRoot: string, dirent?: Dirent): Promise<EntryInfo> {
  try {
    let isLink: boolean;
    let isFile: boolean;
    let isDir: boolean;
    if (dirent) {
      isLink = dirent.isSymbolicLink();
      isFile = dirent.isFile();
      isDir = dirent.isDirectory();
    } else {
      const s = await lstat(abs);
      isLink = s.isSymbolicLink();
      isFile = s.isFile();
      isDir = s.isDirectory();
    }
    if (isLink) {
      let real: string;
      try {
        real = await realpath(abs);
      } catch {
        return { kind: 'symlink-outside', reason: 'the link is dangling' };
      }
      if (!isInside(realRoot, real)) return { kind: 'symlink-outside', real };
      const s = await stat(real);
      if (s.isFile()) return { kind: 'file', real };
      if (s.isDirectory()) return { kind: 'directory', real };
      return { kind: 'special', real };
    }
    if (isFile) return { kind: 'file', real: abs };
    if (isDir) return { kind: 'directory', real: abs };
    return { kind: 'special' };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'unreadable', reason: code ?? String(e) };
  }
}

/**
 * A counting semaphore, so walks over huge trees never hold too many files open at once.
 * Waiting tasks are kept as thunks and started directly when a slot frees (no promise per wait),
 * which matters when a walk queues tens of thousands of small reads.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private head = 0;
  private readonly max: number;
  constructor(max: number) {
    // At least one slot, or nothing would ever run.
    this.max = Math.max(1, Math.floor(max) || 1);
  }

  /** Runs `task` when a slot is free. */
  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.active++;
        let p: Promise<T>;
        try {
          p = task();
        } catch (e) {
          p = Promise.reject(e as Error);
        }
        p.then(
          (v) => {
            this.release();
            resolve(v);
          },
          (e: unknown) => {
            this.release();
            reject(e as Error);
          },
        );
      };
      if (this.active < this.max) start();
      else this.waiting.push(start);
    });
  }

  private release(): void {
    this.active--;
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head]!;
      this.waiting[this.head++] = noop;
      // Compact now and then, so a long queue does not keep its consumed slots.
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      next();
    }
  }
}

function noop(): void {}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight, results in input order. Walks
 * use it for the entries of big directories, so 10,000 array items are 64 pending promises, not
 * 10,000.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  const workers: Promise<void>[] = [];
  for (let k = 0; k < Math.min(limit, items.length); k++) workers.push(worker());
  await Promise.all(workers);
  return out;
}

/** A plain array index: `0`, `1`, … (no leading zeros, no sign). */
export const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** The operating-system error code (`EACCES`, `EIO` …) behind an error, raw or wrapped in a BerthError. */
export function errnoOf(e: unknown): string | undefined {
  for (let c = e, depth = 0; typeof c === 'object' && c !== null && depth < 4; depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
    c = (c as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * What a failed read of a tree entry means: an operating-system error (permissions, EIO, the entry
 * vanishing midway), raw or wrapped as `BERTH_E_IO`/`BERTH_E_NOT_FOUND`, is `BERTH_E_TREE_UNREADABLE`;
 * any other BerthError keeps its code. Anything else is a bug and is thrown on.
 */
export function treeReadError(e: unknown, details: ErrorDetails): BerthError {
  const errno = errnoOf(e);
  if (
    errno !== undefined &&
    (!isBerthError(e) || e.code === 'BERTH_E_IO' || e.code === 'BERTH_E_NOT_FOUND')
  ) {
    return new BerthError('BERTH_E_TREE_UNREADABLE', `The entry cannot be read (${errno})`, {
      ...details,
      cause: e,
    });
  }
  if (isBerthError(e))
    return details.property !== undefined && e.property === undefined ? withProperty(e, details) : e;
  throw e;
}

// Readers below the SDK (text, .npy) know the file but not the property: add it, keeping the rest.
function withProperty(e: BerthError, details: ErrorDetails): BerthError {
  const err = new BerthError(e.code, `${e.message} (property ${details.property})`, { cause: e });
  return Object.assign(err, {
    path: e.path ?? details.path,
    property: details.property,
    expected: e.expected,
    line: e.line,
  });
}
