/**
 * Runs scripts in the system Python (`/usr/bin/python3`, Debian's, where apt installs numpy and
 * msgpack-numpy) — never the pyenv `python3` that may come first on PATH.
 */
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import type { Peer } from './peers.js';

/** The interpreter interop tests run. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** What a Python run produced. */
export interface PythonResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Options of {@link runPython}. */
export interface RunPythonOptions {
  /** Arguments after the script (`sys.argv[1:]`). */
  args?: string[];
  /** Bytes written to the script's stdin. */
  input?: Uint8Array;
  /** Milliseconds before the process is killed (default 20 s). */
  timeoutMs?: number;
}

/** Runs `script` with {@link SYSTEM_PYTHON}; resolves whatever the exit status. */
export function runPython(script: string, options: RunPythonOptions = {}): Promise<PythonResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, ['-c', script, ...(options.args ?? [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 20_000,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8') + (signal ? `\n(killed by ${signal})` : '');
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? Buffer.alloc(0));
  });
}

/** Runs `script` and returns its stdout, throwing with its stderr when it exits non-zero. */
export async function python(script: string, options: RunPythonOptions = {}): Promise<Buffer> {
  const r = await runPython(script, options);
  if (r.code !== 0) throw new Error(`${SYSTEM_PYTHON} exited with ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

/** numpy, msgpack and msgpack-numpy in the system Python. */
export const PYTHON_NUMPY_PEER: Peer = {
  name: 'numpy + msgpack-numpy in /usr/bin/python3',
  packages: ['python3-numpy', 'python3-msgpack', 'python3-msgpack-numpy'],
  probe: async () => {
    try {
      await access(SYSTEM_PYTHON);
    } catch {
      return false;
    }
    const r = await runPython('import numpy, msgpack, msgpack_numpy', { timeoutMs: 15_000 });
    return r.code === 0;
  },
};
