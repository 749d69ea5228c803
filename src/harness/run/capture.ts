import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Captured } from '../types.js';

/** What a capture keeps by default: the first 8 MiB and the last 64 KiB of each stream. */
export const DEFAULT_CAPTURE_BYTES = 8 * 1024 * 1024;
const TAIL_BYTES = 64 * 1024;

/**
 * Copies a machine's output stream to a file, keeping at most `capBytes` of its head and the
 * last 64 KiB, so a machine printing ten million lines fills neither the disk nor the memory.
 * The stream is always read to its end (a full pipe would stall the machine); back-pressure from
 * the file is honoured.
 */
export function capture(stream: Readable, file: string, capBytes = DEFAULT_CAPTURE_BYTES): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(file);
    let total = 0;
    let kept = 0;
    let tail: Buffer[] = [];
    let tailBytes = 0;
    const keepTail = (chunk: Buffer) => {
      tail.push(chunk);
      tailBytes += chunk.length;
      while (tail.length > 1 && tailBytes - tail[0]!.length >= TAIL_BYTES) tailBytes -= tail.shift()!.length;
    };
    stream.on('data', (chunk: Buffer) => {
      total += chunk.length;
      keepTail(chunk);
      if (kept >= capBytes) return;
      const part = kept + chunk.length > capBytes ? chunk.subarray(0, capBytes - kept) : chunk;
      kept += part.length;
      if (!out.write(part)) {
        stream.pause();
        out.once('drain', () => stream.resume());
      }
    });
    stream.once('error', reject);
    // 'end' when the machine closed it; 'close' alone when berth stopped reading (settleCaptures).
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const dropped = total - kept;
      let tailBuf = Buffer.concat(tail);
      if (tailBuf.length > TAIL_BYTES) tailBuf = tailBuf.subarray(tailBuf.length - TAIL_BYTES);
      if (dropped > 0) {
        // The kept head ends mid-stream; the tail shows how it ended. The marker says what is missing.
        const fromTail = Math.min(tailBuf.length, dropped);
        out.write(`\n[berth: ${dropped - fromTail} bytes dropped; the last ${fromTail} bytes follow]\n`);
        out.write(tailBuf.subarray(tailBuf.length - fromTail));
      }
      out.end(() => {
        tail = [];
        const text = tailBuf.toString('utf8');
        const lines = text.split('\n');
        resolve({
          file,
          totalBytes: total,
          droppedBytes: dropped,
          tail: lines
            .slice(Math.max(0, lines.length - 21))
            .join('\n')
            .slice(-4000),
        });
      });
    };
    stream.once('end', finish);
    stream.once('close', finish);
  });
}

/**
 * How long berth keeps reading a machine's stdout and stderr after the machine ended and its
 * processes were stopped: a process that left them (a `setsid` daemon) may still hold the pipes
 * open, and must not hold the run with them.
 */
export const CAPTURE_GRACE_MS = 2000;

/** The captures of a run once settled, and what was cut short. */
export interface Settled {
  captured: (Captured | undefined)[];
  /** Notices for the report: the streams something still held open when berth stopped reading. */
  notices: string[];
}

/**
 * Waits for the captures of `streams` to end, at most `graceMs`; then stops reading the streams
 * still open (what was read is kept) and says so. Call it after the machine has exited and its
 * processes were stopped.
 */
export async function settleCaptures(
  streams: { name: string; stream: Readable | null; capture: Promise<Captured> | undefined }[],
  graceMs: number,
): Promise<Settled> {
  const open = new Set(streams.filter((s) => s.capture).map((s) => s.name));
  const all = Promise.all(
    streams.map((s) => s.capture?.finally(() => open.delete(s.name)) ?? Promise.resolve(undefined)),
  );
  let timer: NodeJS.Timeout | undefined;
  const expired = await Promise.race([
    all.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), Math.max(0, graceMs));
    }),
  ]);
  clearTimeout(timer);
  const notices: string[] = [];
  if (expired && open.size > 0) {
    const names = streams.filter((s) => open.has(s.name)).map((s) => s.name);
    for (const s of streams) if (open.has(s.name)) s.stream?.destroy();
    notices.push(
      `${names.join(' and ')} stayed open ${Math.round(graceMs)} ms after the machine ended ` +
        '(a process it started still holds them: a daemon?); berth stopped reading and kept what it had',
    );
  }
  return { captured: await all, notices };
}

/** A machine's stdout and stderr, each being captured into its log file. */
export type Capturing = {
  name: 'stdout' | 'stderr';
  stream: Readable | null;
  capture: Promise<Captured> | undefined;
}[];

/** The capture stage: the child's stdout and stderr into `logs/stdout.txt` and `logs/stderr.txt`. */
export function captureStreams(child: ChildProcess, logsDir: string, capBytes?: number): Capturing {
  return (['stdout', 'stderr'] as const).map((name) => {
    const stream = child[name];
    const file = path.join(logsDir, `${name}.txt`);
    return { name, stream, capture: stream ? capture(stream, file, capBytes) : undefined };
  });
}
