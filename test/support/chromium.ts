/**
 * Opens a local HTML file in headless Chromium (Debian's `chromium`) and drives it over the
 * DevTools protocol on 127.0.0.1: collects console errors, exceptions, log errors (CSP
 * violations included) and every request the page makes, measures elements, and takes a
 * full-page screenshot. Chromium runs in its own process group with a fresh profile, no proxy
 * but a dead one (so nothing can leave the machine), and is killed by its pid when done or when
 * the time limit passes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import type { Peer } from './peers.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Chromium as a peer: the Debian package `chromium`. */
export const CHROMIUM_PEER: Peer = {
  name: 'Chromium (/usr/bin/chromium)',
  packages: ['chromium'],
  probe: () =>
    access(CHROMIUM).then(
      () => true,
      () => false,
    ),
};

/** A rectangle in page coordinates (CSS pixels from the top left of the document). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What a page did when loaded. */
export interface PageVisit {
  /** Console errors, uncaught exceptions and error log entries, as text. */
  errors: string[];
  /** Every URL the page requested (the page itself included). */
  requests: string[];
  /** The result of each expression given to {@link visitPage}, JSON-decoded. */
  evaluated: unknown[];
  /** A full-page PNG screenshot at device scale 1. */
  screenshot: Buffer;
}

/** Options of {@link visitPage}. */
export interface VisitOptions {
  /** Viewport width in CSS pixels (default 1280). */
  width?: number;
  /** Expressions evaluated after load; each must return a JSON-serialisable value. */
  evaluate?: string[];
  /** Time limit for the whole visit (default 45 s). */
  timeoutMs?: number;
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A minimal DevTools protocol client over one browser websocket (flattened sessions). */
class Cdp {
  private next = 1;
  private pending = new Map<
    number,
    { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  private listeners: ((m: CdpMessage) => void)[] = [];

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as CdpMessage;
      if (m.id !== undefined) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p?.reject(new Error(`CDP: ${m.error.message}`));
        else p?.resolve(m.result ?? {});
      } else for (const l of this.listeners) l(m);
    });
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('CDP: the connection closed'));
      this.pending.clear();
    });
  }

  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  on(listener: (m: CdpMessage) => void): void {
    this.listeners.push(listener);
  }

  waitFor(method: string, sessionId: string): Promise<CdpMessage> {
    return new Promise((resolve) => {
      const l = (m: CdpMessage): void => {
        if (m.method === method && m.sessionId === sessionId) {
          this.listeners = this.listeners.filter((x) => x !== l);
          resolve(m);
        }
      };
      this.listeners.push(l);
    });
  }
}

/** Starts Chromium and resolves with its DevTools websocket URL (from its stderr). */
function launch(profile: string, timeoutMs: number): { child: ChildProcess; endpoint: Promise<string> } {
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--disable-dev-shm-usage',
      '--hide-scrollbars',
      '--force-color-profile=srgb',
      // Anything that tries the network meets a dead proxy and a resolver that finds nothing.
      '--proxy-server=http://127.0.0.1:9',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const endpoint = new Promise<string>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(
      () => reject(new Error(`Chromium did not start in ${timeoutMs} ms:\n${log}`)),
      timeoutMs,
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const m = /DevTools listening on (ws:\/\/127\.0\.0\.1:\d+\/devtools\/browser\/[\w-]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited early (${code ?? signal}):\n${log}`));
    });
  });
  return { child, endpoint };
}

/** Kills Chromium's process group (it leads it: spawned detached) and waits for the exit. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/**
 * Loads `file` in a fresh headless Chromium, waits for the load event, evaluates `evaluate`,
 * takes a full-page screenshot, and kills the browser.
 */
export async function visitPage(file: string, options: VisitOptions = {}): Promise<PageVisit> {
  const timeoutMs = options.timeoutMs ?? 45_000;
  const width = options.width ?? 1280;
  const profile = await mkdtemp(path.join(tmpdir(), 'berth-chromium-'));
  const { child, endpoint } = launch(profile, timeoutMs);
  let ws: WebSocket | undefined;
  try {
    return await withTimeout(
      (async () => {
        ws = new WebSocket(await endpoint, { perMessageDeflate: false });
        await new Promise<void>((resolve, reject) => {
          ws!.once('open', () => resolve());
          ws!.once('error', reject);
        });
        const cdp = new Cdp(ws);
        const errors: string[] = [];
        const requests: string[] = [];
        const { targetId } = (await cdp.send('Target.createTarget', { url: 'about:blank' })) as {
          targetId: string;
        };
        const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: true })) as {
          sessionId: string;
        };
        cdp.on((m) => {
          if (m.sessionId !== sessionId || !m.params) return;
          const p = m.params;
          if (m.method === 'Runtime.consoleAPICalled' && (p['type'] === 'error' || p['type'] === 'assert')) {
            const args = (p['args'] as { value?: unknown; description?: string }[]) ?? [];
            errors.push(
              `console.${String(p['type'])}: ${args.map((a) => a.description ?? String(a.value)).join(' ')}`,
            );
          } else if (m.method === 'Runtime.exceptionThrown') {
            const d = p['exceptionDetails'] as { text?: string; exception?: { description?: string } };
            errors.push(`exception: ${d.exception?.description ?? d.text}`);
          } else if (m.method === 'Log.entryAdded') {
            const e = p['entry'] as { level: string; text: string; url?: string; source: string };
            if (e.level === 'error') errors.push(`log (${e.source}): ${e.text}${e.url ? ` ${e.url}` : ''}`);
          } else if (m.method === 'Network.requestWillBeSent') {
            requests.push(String((p['request'] as { url: string }).url));
          }
        });
        await Promise.all(
          ['Runtime.enable', 'Log.enable', 'Page.enable', 'Network.enable'].map((method) =>
            cdp.send(method, {}, sessionId),
          ),
        );
        await cdp.send(
          'Emulation.setDeviceMetricsOverride',
          { width, height: 900, deviceScaleFactor: 1, mobile: false },
          sessionId,
        );
        const loaded = cdp.waitFor('Page.loadEventFired', sessionId);
        const nav = (await cdp.send('Page.navigate', { url: pathToFileURL(file).href }, sessionId)) as {
          errorText?: string;
        };
        if (nav.errorText) throw new Error(`navigation failed: ${nav.errorText}`);
        await loaded;
        const evaluated: unknown[] = [];
        for (const expression of options.evaluate ?? []) {
          const r = (await cdp.send(
            'Runtime.evaluate',
            { expression: `JSON.stringify(${expression})`, returnByValue: true },
            sessionId,
          )) as { result: { value?: string }; exceptionDetails?: { text: string } };
          if (r.exceptionDetails) throw new Error(`evaluate failed: ${r.exceptionDetails.text}`);
          evaluated.push(r.result.value === undefined ? undefined : JSON.parse(r.result.value));
        }
        const height = (await cdp.send(
          'Runtime.evaluate',
          { expression: 'Math.ceil(document.documentElement.scrollHeight)', returnByValue: true },
          sessionId,
        )) as { result: { value: number } };
        const shot = (await cdp.send(
          'Page.captureScreenshot',
          {
            format: 'png',
            captureBeyondViewport: true,
            clip: { x: 0, y: 0, width, height: height.result.value, scale: 1 },
          },
          sessionId,
        )) as { data: string };
        // Let late console or log events arrive before the browser goes.
        await new Promise((r) => setTimeout(r, 200));
        return { errors, requests, evaluated, screenshot: Buffer.from(shot.data, 'base64') };
      })(),
      timeoutMs,
      'visiting the page in Chromium',
    );
  } finally {
    ws?.terminate();
    await kill(child);
    await rm(profile, { recursive: true, force: true }).catch(() => undefined);
  }
}
