/**
 * `berth exec`'s launch stage: inside the image, the machine's command runs as berth's child with
 * berth's own streams (its bytes never pass through berth), the platform's stop signals passed on
 * to it, and — with `--writable-input` — a private writable copy of the input tree.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The signals `berth exec` passes on to the machine (the platform stops containers with SIGTERM). */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** How the child ended, or why it could not start. */
export type ChildEnd =
  { code: number | null; signal: NodeJS.Signals | null; forwarded?: NodeJS.Signals } | { error: string };

/**
 * Catches {@link FORWARDED_SIGNALS} for the whole of `berth exec` and passes them on to the
 * machine while it runs. As PID 1 of a container, these handlers are also what makes the signals
 * reach berth at all (the kernel drops signals PID 1 has no handler for).
 */
export class SignalRelay {
  /** The last signal received. */
  received: NodeJS.Signals | undefined;
  private target: ChildProcess | undefined;
  private readonly offs: (() => void)[];

  constructor() {
    this.offs = FORWARDED_SIGNALS.map((signal) => {
      const handler = () => {
        this.received = signal;
        const t = this.target;
        if (t && t.exitCode === null && t.signalCode === null) t.kill(signal);
      };
      process.on(signal, handler);
      return () => process.off(signal, handler);
    });
  }

  /** Signals from now on go to `child`. */
  relayTo(child: ChildProcess): void {
    this.target = child;
  }

  close(): void {
    for (const off of this.offs) off();
    this.target = undefined;
  }
}

/** Runs the command with inherited stdio (its bytes never pass through berth), relaying signals. */
export function runChild(
  command: readonly string[],
  env: NodeJS.ProcessEnv,
  signals: SignalRelay,
): Promise<ChildEnd> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
    signals.relayTo(child);
    child.once('error', (e: NodeJS.ErrnoException) =>
      resolve({
        error: e.code === 'ENOENT' ? 'not found (is it installed in the image and on PATH?)' : e.message,
      }),
    );
    child.once('exit', (code, signal) =>
      resolve({ code, signal, ...(signals.received ? { forwarded: signals.received } : {}) }),
    );
  });
}

/**
 * Runs `run` with the machine's environment; with `writable`, BERTH_INPUT points at a writable
 * copy of `input` in the temp folder (the mounted input stays read-only), removed afterwards.
 */
export async function withInputCopy<T>(
  input: string,
  env: NodeJS.ProcessEnv,
  writable: boolean,
  log: (line: string) => void,
  run: (env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  if (!writable) return run(env);
  const copy = await mkdtemp(path.join(os.tmpdir(), 'berth-input-'));
  try {
    await cp(input, copy, { recursive: true, verbatimSymlinks: true });
    log(`the machine's writable copy of the input is ${copy} (BERTH_INPUT); ${input} stays read-only`);
    return await run({ ...env, BERTH_INPUT: copy });
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}
