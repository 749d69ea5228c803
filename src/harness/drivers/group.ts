import type { ChildProcess } from 'node:child_process';

/** Sends a signal to a whole process group; true when the group still existed. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a process group: SIGTERM now, SIGKILL after `graceMs` if the leader has not exited.
 * Resolves once the leader is gone (or after the kill, whichever is first).
 */
export function stopGroup(child: ChildProcess, pgid: number | undefined, graceMs: number): Promise<void> {
  if (pgid === undefined) return Promise.resolve();
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  if (exited()) {
    signalGroup(pgid, 'SIGKILL');
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signalGroup(pgid, 'SIGKILL');
      resolve();
    };
    const timer = setTimeout(done, graceMs);
    child.once('exit', done);
    signalGroup(pgid, 'SIGTERM');
  });
}
