/** Shared pieces of the driver tests: run folders, a loopback listener, bounded runs, process checks. */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LaunchSpec, Launched } from '../../../src/harness/drivers/driver.js';

/** A fresh run folder: empty input/output/status trees, a machine directory and a manifest. */
export interface RunDirs {
  root: string;
  input: string;
  output: string;
  status: string;
  machine: string;
  manifest: string;
}

/** Creates a run folder under the OS temp dir with the given machine files and input values. */
export async function makeRun(
  machineFiles: Record<string, string>,
  inputs: Record<string, string> = {},
): Promise<RunDirs> {
  const root = await mkdtemp(path.join(tmpdir(), 'berth-driver-'));
  const dirs: RunDirs = {
    root,
    input: path.join(root, 'input'),
    output: path.join(root, 'output'),
    status: path.join(root, 'status'),
    machine: path.join(root, 'machine'),
    manifest: path.join(root, 'machine.yaml'),
  };
  for (const d of [dirs.input, dirs.output, dirs.status, dirs.machine]) await mkdir(d);
  for (const [name, text] of Object.entries(machineFiles))
    await writeFile(path.join(dirs.machine, name), text);
  for (const [name, text] of Object.entries(inputs)) await writeFile(path.join(dirs.input, name), text);
  await writeFile(dirs.manifest, 'metadata-version: 2\ninfo:\n  name: test\nschema-in: {}\nschema-out: {}\n');
  return dirs;
}

/** A LaunchSpec over a run folder. */
export function specOf(dirs: RunDirs, command: string[], extra: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    command,
    cwd: dirs.machine,
    input: dirs.input,
    output: dirs.output,
    status: dirs.status,
    manifest: dirs.manifest,
    env: {},
    network: false,
    nvidia: false,
    ...extra,
  };
}

/** How a launched machine ended. */
export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Collects a launched machine's output until it exits; stops it (and fails) after `timeoutMs`. */
export function waitEnd(launched: Launched, timeoutMs = 20_000): Promise<Ended> {
  const { child } = launched;
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void launched
        .stop(0)
        .finally(() => reject(new Error(`machine still running after ${timeoutMs} ms: ${stderr}`)));
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A TCP listener on the host's 127.0.0.1 (never any other address); `close()` stops it. */
export async function loopbackListener(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    // Clients hang up at once; a reset then is no failure.
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.end('hello\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** True while a pid exists (as a process or an unreaped zombie). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return existsSync(`/proc/${pid}`);
  }
}

/** Waits until none of `pids` exists, up to `ms`; returns those still there. */
export async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  for (;;) {
    const left = pids.filter(pidAlive);
    if (left.length === 0 || Date.now() >= until) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls until `check` holds, up to `ms`. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Removes a run folder. */
export function removeRun(dirs: RunDirs | undefined): Promise<void> {
  return dirs ? rm(dirs.root, { recursive: true, force: true }) : Promise.resolve();
}
