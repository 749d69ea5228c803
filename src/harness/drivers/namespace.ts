import { readdir, readlink } from 'node:fs/promises';

/**
 * The inode of a process's PID namespace (`/proc/PID/ns/pid` reads `pid:[4026532179]`), or
 * undefined when the process is gone or not ours to inspect.
 */
export async function pidNamespaceOf(pid: number): Promise<number | undefined> {
  try {
    const link = await readlink(`/proc/${pid}/ns/pid`);
    const m = /^pid:\[(\d+)\]$/.exec(link);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Host PIDs of every process living in one PID namespace. Sandboxed and containerised machines
 * leave the harness's process group (bwrap's `--new-session`, a container's own init), so the
 * namespace — which nothing inside can leave — is how berth finds all of them.
 */
export async function pidsInNamespace(nsInode: number): Promise<number[]> {
  return livePidsWhere(async (pid) => (await pidNamespaceOf(pid)) === nsInode);
}

/** The pids of /proc (every live process) for which `keep` holds, ascending. */
export async function livePidsWhere(keep: (pid: number) => Promise<boolean>): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  await Promise.all(
    names.map(async (name) => {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) return;
      const pid = Number(name);
      if (await keep(pid)) found.push(pid);
    }),
  );
  return found.sort((a, b) => a - b);
}

/** Sends a signal to one process; true when it existed. */
export function signalPid(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
