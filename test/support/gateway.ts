/**
 * Helpers of the gateway tests: a tiny, fast machine in a temp dir; loopback requests with a time
 * limit; and a server-sent events reader.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Writes a tiny Node machine into a fresh temp dir and returns the dir. It takes `value` (string),
 * optionally `delay-ms` (it writes 50% progress, then sleeps), `fail` (it exits 3) and `bad-output`
 * (it writes a non-integer length); it writes `length` and `echo`. When `TINY_SHARED` is set, it
 * records how many runs were in progress at once (one line per run in `$TINY_SHARED/log`).
 */
export function tinyMachine(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-tiny-'));
  writeFileSync(
    path.join(dir, 'machine.yaml'),
    [
      'metadata-version: 2',
      'info: {name: tiny, title: Tiny echo}',
      'schema-in:',
      '  value: {type: string, maxLength: 1000}',
      '  delay-ms: {type: integer, nullable: true, minimum: 0}',
      '  fail: {type: boolean, nullable: true}',
      '  bad-output: {type: boolean, nullable: true}',
      'schema-out:',
      '  length: {type: integer}',
      '  echo: {type: string}',
      'timeout: 1',
      'berth:',
      `  command: [${JSON.stringify(process.execPath)}, machine.mjs]`,
    ].join('\n') + '\n',
  );
  writeFileSync(
    path.join(dir, 'machine.mjs'),
    `import fs from 'node:fs';
import path from 'node:path';
const IN = process.env.BERTH_INPUT, OUT = process.env.BERTH_OUTPUT, STATUS = process.env.BERTH_STATUS;
const read = (name) => { try { return fs.readFileSync(path.join(IN, name), 'utf8').trim(); } catch { return undefined; } };
const shared = process.env.TINY_SHARED;
const me = shared ? path.join(shared, 'running-' + process.pid) : undefined;
if (me) {
  fs.writeFileSync(me, '');
  fs.appendFileSync(path.join(shared, 'log'), fs.readdirSync(shared).filter((f) => f.startsWith('running-')).length + '\\n');
}
const value = read('value') ?? '';
const delay = Number(read('delay-ms') ?? 0);
if (delay > 0) {
  fs.writeFileSync(path.join(STATUS, 'progress'), '50%');
  await new Promise((r) => setTimeout(r, delay));
}
if (me) fs.rmSync(me);
if (read('fail') === 'True') { console.error('failing as asked'); process.exit(3); }
fs.writeFileSync(path.join(OUT, 'length'), read('bad-output') === 'True' ? 'many' : String(value.length));
fs.writeFileSync(path.join(OUT, 'echo'), value);
`,
  );
  return dir;
}

/** A finished request: status, headers, body bytes, and the body as JSON when it parses. */
export interface Answer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json: Record<string, unknown> | undefined;
}

/** POSTs (or GETs without a body) with a hard time limit. */
export async function request(
  url: string,
  init: {
    method?: string;
    body?: string | Uint8Array;
    headers?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    ...(init.body === undefined ? {} : { body: init.body }),
    headers: init.headers ?? {},
    signal: AbortSignal.timeout(init.timeoutMs ?? 60_000),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, bytes, json };
}

/** POSTs a JSON document. */
export function postJson(url: string, doc: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return request(url, {
    body: JSON.stringify(doc),
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** One server-sent event as received. */
export interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** A subscription: `ready` once the stream is open, `events` when it ends (or the time is up). */
export interface Subscription {
  ready: Promise<number>;
  events: Promise<SseEvent[]>;
  cancel(): void;
}

/** Reads an event stream until the server ends it, `cancel()`, or `timeoutMs`. */
export function subscribe(
  url: string,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Subscription {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let opened: (status: number) => void = () => undefined;
  const ready = new Promise<number>((r) => (opened = r));
  const events = (async () => {
    const out: SseEvent[] = [];
    try {
      const res = await fetch(url, { headers, signal: controller.signal });
      opened(res.status);
      if (!res.body) return out;
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of frame.split('\n')) {
            if (line.startsWith(':') || !line.includes(':')) continue;
            const i = line.indexOf(':');
            fields[line.slice(0, i)] = line.slice(i + 1).trimStart();
          }
          if (fields['event'] === undefined) continue;
          out.push({
            event: fields['event'],
            data: JSON.parse(fields['data'] ?? '{}') as Record<string, unknown>,
            ...(fields['id'] === undefined ? {} : { id: fields['id'] }),
          });
        }
      }
    } catch (e) {
      if (!controller.signal.aborted) throw e;
      opened(0);
    } finally {
      clearTimeout(timer);
    }
    return out;
  })();
  return { ready, events, cancel: () => controller.abort() };
}
