/**
 * Short engine commands (`podman info`, `docker image inspect`, `podman stop` …) run to completion:
 * bounded in time (SIGKILL at the timeout) and in what is kept of their output.
 */
import { spawn } from 'node:child_process';

/** What is kept of each of stdout and stderr, in characters: enough for an ID, a PID, a message. */
const KEPT = 4096;

/** What a short command produced. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when it could not run (ENOENT: not installed) or could not be killed. */
  error?: NodeJS.ErrnoException;
}

/** Runs `file` with `args` in `env` to completion, killed after `timeoutMs`. */
export function runShort(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      if (stdout.length < KEPT) stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < KEPT) stderr += c.toString('utf8');
    });
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, stdout, stderr, error }));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
