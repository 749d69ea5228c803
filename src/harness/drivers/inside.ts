/**
 * What a machine sees inside the `sandbox` and `container` drivers: the platform's fixed paths,
 * the unprivileged user it runs as, and the ownership the host trees need for that user.
 */
import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** The user and group machines run as inside a sandbox or container (never root). */
export const MACHINE_UID = 10001;
export const MACHINE_GID = 10001;

/** Where the trees and the manifest appear inside, exactly as on the EnvoyAI platform. */
export const INSIDE = {
  input: '/envoyai/input',
  output: '/envoyai/output',
  status: '/envoyai/status',
  manifest: '/envoyai/machine.yaml',
} as const;

/** The BERTH_* variables pointing at {@link INSIDE}; they override anything the spec sets. */
export function insideVariables(): Record<string, string> {
  return {
    BERTH_INPUT: INSIDE.input,
    BERTH_OUTPUT: INSIDE.output,
    BERTH_STATUS: INSIDE.status,
    BERTH_MANIFEST: INSIDE.manifest,
  };
}

/**
 * Makes `root` and everything below it owned by `uid:gid` (symlinks themselves, never their
 * targets). Entries already owned so are left alone, so a fresh, empty tree costs one stat.
 */
export async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  const st = await lstat(root);
  if (st.uid !== uid || st.gid !== gid) await lchown(root, uid, gid);
  if (!st.isDirectory()) return;
  for (const name of await readdir(root)) await chownTree(path.join(root, name), uid, gid);
}

/**
 * Makes `root` readable by any user: directories get `o+rx`, files `o+r`, where missing. A
 * container user (uid 10001) is "other" to host-owned input files, and `mkdtemp` creates 0700
 * directories. Returns how many entries changed. Symlinks are not followed.
 */
export async function openTreeForReading(root: string): Promise<number> {
  const st = await lstat(root);
  if (st.isSymbolicLink()) return 0;
  let changed = 0;
  const need = st.isDirectory() ? 0o005 : 0o004;
  if ((st.mode & need) !== need) {
    await chmod(root, (st.mode & 0o7777) | need);
    changed++;
  }
  if (st.isDirectory()) {
    for (const name of await readdir(root)) changed += await openTreeForReading(path.join(root, name));
  }
  return changed;
}

/** True when `child` is `parent` or lies below it (both absolute, normalised). */
export function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
