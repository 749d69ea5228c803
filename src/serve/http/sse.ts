/**
 * A run's events as a `text/event-stream` (server-sent events) on a raw Node response: each event
 * as `id:`, `event:` and one `data:` line of JSON; a comment line every `heartbeatMs` so proxies
 * and clients do not take a quiet run for a dead connection; ended after the terminal event.
 *
 * A client that does not read is dropped, not buffered for: once the bytes waiting for it (the
 * response's and its socket's buffers) would pass `maxBufferedBytes`, it gets a `dropped` event
 * (no `id`, so `Last-Event-ID` still names the last event it really got) and the stream ends; a
 * socket that still has not taken its bytes {@link DROP_GRACE_MS} later is destroyed.
 */
import type { ServerResponse } from 'node:http';
import type { LoggedEvent, RunLog } from './run-log.js';

/** Options of one stream. */
export interface EventStreamOptions {
  runId: string;
  /** Replay only events after this id (from the `Last-Event-ID` header). */
  lastEventId: number;
  heartbeatMs: number;
  /** Bytes that may wait for a client before it is dropped. Default {@link DEFAULT_EVENT_BUFFER_BYTES}. */
  maxBufferedBytes?: number;
  /** Headers to add (e.g. CORS); the stream's own are set here. */
  headers?: Record<string, string>;
}

/** The default bound of the bytes waiting for one event-stream client: 4 MiB. */
export const DEFAULT_EVENT_BUFFER_BYTES = 4 * 1024 * 1024;

/** How long a dropped client's socket may keep its unsent bytes before it is destroyed. */
export const DROP_GRACE_MS = 5_000;

/** One SSE frame. JSON never holds a raw newline, so `data` is always one line. */
export function sseFrame(e: LoggedEvent): string {
  return `id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/** Streams a run's events to `res` until the terminal event, the client leaving, or shutdown. */
export function streamRunEvents(runs: RunLog, res: ServerResponse, options: EventStreamOptions): void {
  res.writeHead(200, {
    ...options.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx buffers responses unless told not to; events must arrive as they happen.
    'x-accel-buffering': 'no',
  });
  const max = options.maxBufferedBytes ?? DEFAULT_EVENT_BUFFER_BYTES;
  let done = false;
  // Set after subscribing; the subscription may end the stream at once (a finished run).
  const subscription: { off?: () => void } = {};
  let lastSent = options.lastEventId;
  let graceTimer: NodeJS.Timeout | undefined;
  // `write` is defined below; the first beat comes long after.
  const heartbeat = setInterval(() => write(': keep-alive\n\n'), options.heartbeatMs).unref();
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(heartbeat);
    subscription.off?.();
    if (!res.writableEnded) res.end();
  };
  /**
   * Writes a frame unless the client is behind: `writableLength` counts the response's and the
   * socket's unsent bytes. A frame always goes out when nothing waits, so one event larger than the
   * bound is still delivered to a client that reads.
   */
  const write = (frame: string): void => {
    if (done) return;
    const waiting = res.writableLength;
    if (waiting === 0 || waiting + Buffer.byteLength(frame) <= max) {
      res.write(frame);
      return;
    }
    const reason = `the client did not read: ${waiting} bytes were waiting, at most ${max} may`;
    res.write(
      `: dropped\nevent: dropped\ndata: ${JSON.stringify({ runId: options.runId, reason, lastEventId: lastSent })}\n\n`,
    );
    finish();
    graceTimer = setTimeout(() => res.destroy(), DROP_GRACE_MS).unref();
  };
  res.on('close', () => {
    clearTimeout(graceTimer);
    finish();
  });
  // The retry hint and a first comment flush the headers, so the client knows it is subscribed.
  write(`retry: 2000\n: run ${options.runId}\n\n`);
  const off = runs.subscribe(
    options.runId,
    {
      send: (e) => {
        write(sseFrame(e));
        if (!done) lastSent = e.id;
      },
      end: finish,
    },
    options.lastEventId,
  );
  if (off === undefined) finish();
  else if (done) off();
  else subscription.off = off;
}
