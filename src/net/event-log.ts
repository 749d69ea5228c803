/**
 * Structured logs of `berth listen`: one JSON object per line and per event
 * (`{"time":"…","event":"group.complete","group":"1.2.…",…}`), on stderr or appended to `--log FILE`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

/** Fields of one event: plain JSON values. */
export type EventFields = Record<string, string | number | boolean | null | undefined | readonly string[]>;

/** Where events go. */
export interface EventLog {
  event(name: string, fields?: EventFields): void;
  close(): Promise<void>;
}

/** Writes events to `file` (appended), or to stderr without one. */
export function openEventLog(file?: string): EventLog {
  const out: NodeJS.WritableStream | WriteStream = file
    ? createWriteStream(file, { flags: 'a' })
    : process.stderr;
  return {
    event(name, fields = {}) {
      const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      out.write(JSON.stringify({ time: new Date().toISOString(), event: name, ...defined }) + '\n');
    },
    close() {
      if (!file) return Promise.resolve();
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
