/**
 * The process driver's clean-up of everything a machine started. Its process group is not
 * enough: a daemon calls `setsid()` and leaves both the group and the session. Without a cgroup
 * or a subreaper (neither reachable from Node without privileges), berth recognises a run's
 * processes in /proc by any of three marks, the last of which they keep across `setsid` and
 * double forks: the machine's process group, its session (the machine leads its own), and
 * `BERTH_RUN_ID=<a random id>` in their environment. A process that drops all three (`env -i`
 * after `setsid`) is beyond the process driver; the sandbox and container drivers stop it with
 * their PID namespace.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { livePidsWhere, signalPid } from './namespace.js';

/** The environment variable that marks a run's processes. */
export const RUN_ID_VARIABLE = 'BERTH_RUN_ID';

/** Rounds of find-and-kill: a process forking as fast as it can is outrun by SIGKILL in a few. */
const MAX_ROUNDS = 5;

/** A fresh run id for {@link RUN_ID_VARIABLE}. */
export function newRunId(): string {
  return randomUUID();
}

/** True for a run id as {@link newRunId} makes them (a UUID): safe in a container name and /proc match. */
export function isRunId(text: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text);
}

/**
 * Group and session of a live process (`/proc/PID/stat` fields 5 and 6), or undefined when it is
 * gone or a zombie (dead, waiting to be reaped: nothing left to stop).
 */
async function groupAndSession(pid: number): Promise<{ pgrp: number; session: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return { pgrp: Number(fields[2]), session: Number(fields[3]) };
  } catch {
    return undefined;
  }
}

/** True when the process's environment holds `BERTH_RUN_ID=<runId>` exactly. */
async function carriesRunId(pid: number, runId: string): Promise<boolean> {
  try {
    const env = await readFile(`/proc/${pid}/environ`);
    const mark = Buffer.from(`${RUN_ID_VARIABLE}=${runId}\0`);
    for (let at = env.indexOf(mark); at >= 0; at = env.indexOf(mark, at + 1)) {
      if (at === 0 || env[at - 1] === 0) return true;
    }
    return false;
  } catch {
    return false;
  }
}

/**
 * The pids of a run's processes alive now, found by its run id alone (after a crash of berth the
 * recorded group id may name someone else's group by now): those carrying the id, and every
 * process in a group or session one of them leads. Never berth itself.
 */
export async function runIdProcesses(runId: string): Promise<number[]> {
  const carriers = await livePidsWhere(
    async (pid) => pid !== process.pid && (await carriesRunId(pid, runId)),
  );
  const leaders = new Set<number>();
  for (const pid of carriers) {
    const ids = await groupAndSession(pid);
    if (ids?.pgrp === pid || ids?.session === pid) leaders.add(pid);
  }
  if (leaders.size === 0) return carriers;
  return livePidsWhere(async (pid) => {
    if (pid === process.pid) return false;
    const ids = await groupAndSession(pid);
    return ids !== undefined && (leaders.has(ids.pgrp) || leaders.has(ids.session) || carriers.includes(pid));
  });
}

/**
 * The pids of a run's processes alive now: in the leader's group or session, or carrying the
 * run id. Never berth itself.
 */
export function runProcesses(leader: number, runId: string): Promise<number[]> {
  return livePidsWhere(async (pid) => {
    if (pid === process.pid) return false;
    const ids = await groupAndSession(pid);
    if (!ids) return false;
    return ids.pgrp === leader || ids.session === leader || carriesRunId(pid, runId);
  });
}

/**
 * SIGKILLs every process `find` names, again until none is found or after a few rounds. Returns
 * how many distinct processes were signalled, and how many were still found in the last round.
 */
async function sweep(find: () => Promise<number[]>): Promise<{ stopped: number; left: number }> {
  const signalled = new Set<number>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const pids = await find();
    if (pids.length === 0) return { stopped: signalled.size, left: 0 };
    for (const pid of pids) if (signalPid(pid, 'SIGKILL')) signalled.add(pid);
    // SIGKILL is delivered asynchronously: give it a moment before looking again.
    await new Promise((r) => setTimeout(r, 20));
  }
  const left = (await find()).length;
  return { stopped: signalled.size, left };
}

/** SIGKILLs every process of the run (see {@link runProcesses}). */
export function sweepRun(leader: number, runId: string): Promise<{ stopped: number; left: number }> {
  return sweep(() => runProcesses(leader, runId));
}

/** SIGKILLs every process of a run berth no longer watches, known by its id alone ({@link runIdProcesses}). */
export function sweepRunId(runId: string): Promise<{ stopped: number; left: number }> {
  return sweep(() => runIdProcesses(runId));
}
