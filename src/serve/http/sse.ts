/**
 * A run's events as a `text/event-stream` (server-sent events) on a raw Node response: each event
 * as `id:`, `event:` and one `data:` line of JSON; a comment line every `heartbeatMs` so proxies
 * and clients do not take a quiet run for a dead connection; ended after the terminal event.
 */
import type { ServerResponse } from 'node:http';
import type { LoggedEvent, RunLog } from './run-log.js';

/** Options of one stream. */
export interface EventStreamOptions {
  runId: string;
  /** Replay only events after this id (from the `Last-Event-ID` header). */
  lastEventId: number;
  heartbeatMs: number;
  /** Headers to add (e.g. CORS); the stream's own are set here. */
  headers?: Record<string, string>;
}

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
  // The retry hint and a first comment flush the headers, so the client knows it is subscribed.
  res.write(`retry: 2000\n: run ${options.runId}\n\n`);
  let done = false;
  // Set after subscribing; the subscription may end the stream at once (a finished run).
  const subscription: { off?: () => void } = {};
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), options.heartbeatMs).unref();
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(heartbeat);
    subscription.off?.();
    if (!res.writableEnded) res.end();
  };
  res.on('close', finish);
  const off = runs.subscribe(
    options.runId,
    {
      send: (e) => {
        if (!done) res.write(sseFrame(e));
      },
      end: finish,
    },
    options.lastEventId,
  );
  if (off === undefined) finish();
  else if (done) off();
  else subscription.off = off;
}
