import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh temporary folder, `berth-<prefix>-XXXXXX` in the OS's temporary directory. */
export function tempDir(prefix = 'test'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `berth-${prefix}-`));
}

/** Removes a temporary folder, whatever it holds; nothing when `dir` is undefined. */
export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}
