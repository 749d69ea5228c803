/**
 * Structured logs of `berth listen`: one JSON object per line and per event
 * (`{"time":"…","event":"group.complete","group":"1.2.…",…}`), on stderr or appended to `--log FILE`.
 */
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { BerthError } from '../errors.js';

/** Fields of one event: plain JSON values. */
export type EventFields = Record<string, string | number | boolean | null | undefined | readonly string[]>;

/** Where events go. */
export interface EventLog {
  event(name: string, fields?: EventFields): void;
  close(): Promise<void>;
}

/**
 * Writes events to `file` (appended), or to stderr without one. The file is opened now, so a log
 * that cannot be written is a clear error before berth listens (BERTH_E_USAGE with the path).
 */
export function openEventLog(file?: string): EventLog {
  let out: NodeJS.WritableStream | WriteStream = process.stderr;
  if (file) {
    let fd: number;
    try {
      fd = openSync(file, 'a');
    } catch (e) {
      throw new BerthError(
        'BERTH_E_USAGE',
        `--log ${file} cannot be written: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        {
          path: file,
          expected: 'a file in an existing, writable folder',
        },
      );
    }
    const stream = createWriteStream(file, { fd });
    // A disk that fails later: the events go to stderr instead of stopping the node.
    stream.on('error', () => (out = process.stderr));
    out = stream;
  }
  return {
    event(name, fields = {}) {
      const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      out.write(JSON.stringify({ time: new Date().toISOString(), event: name, ...defined }) + '\n');
    },
    close() {
      if (out === process.stderr) return Promise.resolve();
      return new Promise((resolve) => (out as WriteStream).end(resolve));
    },
  };
}

/** A log that keeps its events in memory (tests, and `--status`, which logs nothing). */
export function memoryEventLog(): EventLog & { readonly events: { event: string; [k: string]: unknown }[] } {
  const events: { event: string; [k: string]: unknown }[] = [];
  return {
    events,
    event(name, fields = {}) {
      events.push({ event: name, ...fields });
    },
    close: () => Promise.resolve(),
  };
}
