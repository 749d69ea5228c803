/**
 * Helpers of the DICOM network tests (test/net/): the data set part of a Part 10 file, dcmtk's
 * network tools run with a timeout and `TCP_NODELAY=1`, and a synthetic study written to disk.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** The bytes after the File Meta Information of a Part 10 file (preamble, DICM, group 0002). */
export function dataSetBytes(part10: Buffer): Buffer {
  if (part10.toString('latin1', 128, 132) !== 'DICM') throw new Error('not Part 10');
  // (0002,0000) UL, explicit VR little endian: tag 4 + VR 2 + length 2 + value 4.
  const groupLength = part10.readUInt32LE(132 + 8);
  return part10.subarray(132 + 12 + groupLength);
}

/** The data set bytes of a Part 10 file on disk. */
export async function dataSetOfFile(path: string): Promise<Buffer> {
  return dataSetBytes(await readFile(path));
}

/** A finished program: exit code (or signal) and its output. */
export interface ToolResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts a dcmtk tool with `TCP_NODELAY=1`; the caller stops it by its pid. */
export function startTool(file: string, args: readonly string[]): ChildProcess {
  return spawn(file, args, { env: { ...process.env, TCP_NODELAY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a dcmtk tool to its end, killed (SIGKILL, by pid) after `timeoutMs`. */
export function runTool(file: string, args: readonly string[], timeoutMs = 60_000): Promise<ToolResult> {
  const child = startTool(file, args);
  return waitTool(child, timeoutMs);
}

/** Waits for a started tool to end, killing it after `timeoutMs`. */
export function waitTool(child: ChildProcess, timeoutMs = 60_000): Promise<ToolResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
