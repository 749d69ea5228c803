/** Shared pieces of the EIR server tests: servers that are always closed, short timeouts. */
import { startEirServer } from '../../../src/serve/eir/index.js';
import type { EirServer, EirServerOptions } from '../../../src/serve/eir/index.js';
import { EirWire, connectToServer, within } from '../../support/eir-client.js';
import type { EirClientOptions, JsonObj } from '../../support/eir-client.js';

/** Client timeouts for tests: short enough that a broken server fails fast, long enough for CI. */
export const FAST: EirClientOptions = {
  recvMs: 5_000,
  validationMs: 3_000,
  backoffUnitMs: 50,
  maxIterations: 10_000,
};

/** A reply wait in tests. */
export const WAIT = 5_000;

const running = new Set<EirServer>();
const wires = new Set<EirWire>();

/** Starts a server on 127.0.0.1, port 0; {@link closeAll} closes it after the test. */
export async function serve(options: EirServerOptions): Promise<EirServer> {
  const server = await within(
    startEirServer({ host: '127.0.0.1', port: 0, ...options }),
    WAIT,
    'server start',
  );
  running.add(server);
  return server;
}

/** Opens a connection and handshakes; closed after the test. */
export async function connect(server: EirServer): Promise<EirWire> {
  const wire = await connectToServer(server.url, FAST);
  wires.add(wire);
  return wire;
}

/** Opens a connection without handshake; closed after the test. */
export async function open(server: EirServer): Promise<EirWire> {
  const wire = await EirWire.open(server.url, WAIT);
  wires.add(wire);
  return wire;
}

/** Closes every connection and server a test left open. */
export async function closeAll(): Promise<void> {
  for (const wire of wires) await wire.close().catch(() => undefined);
  wires.clear();
  for (const server of running) await within(server.close(), WAIT, 'server close');
  running.clear();
}

/** Ids of a data reply, `'terminate'`, or the reply type when it is not data. */
export function dataIds(reply: JsonObj): string[] | string {
  if (reply['type'] !== 'data') return String(reply['type']);
  const payload = reply['payload'] as JsonObj[] | string[];
  if (payload.length === 1 && payload[0] === 'terminate') return 'terminate';
  return (payload as JsonObj[]).map((s) => String(s['sample_id']));
}

/** `sample_0003`-style ids for a range. */
export function ids(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `sample_${String(from + i).padStart(4, '0')}`);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it is true or `ms` passed. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}
