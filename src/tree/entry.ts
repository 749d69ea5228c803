import type { Dirent } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
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

/** A counting semaphore, so walks over huge trees never hold too many files open at once. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}

  /** Runs `task` when a slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** A plain array index: `0`, `1`, … (no leading zeros, no sign). */
export const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;
