/**
 * The C-ECHO / C-STORE SCP: berth owns the `net.Server` (loopback by default, no-delay, a
 * connection cap) and runs one {@link ReceiverScp} per socket (dcmjs-dimse's own `Server` binds
 * every interface and never sets no-delay: traps 1 and 5 of the network note).
 */
import net from 'node:net';
import dimse from 'dcmjs-dimse';
import { BerthError } from '../errors.js';
import { BERTH_IMPLEMENTATION_CLASS_UID, BERTH_IMPLEMENTATION_VERSION } from '../dicom/uid.js';
import { ReceiverScp, type AssociationContext } from './dimse-association.js';
import { withReadBuffer } from './read-buffer.js';
import type { ReceiveEventSink } from './receive-events.js';
import type { ListenSink } from './sink.js';

export interface DimseOptions {
  /** Interface to listen on (`--host`). Default 127.0.0.1. */
  readonly host?: string;
  /** DICOM port (`--port`). Default 11112; 0 picks a free one. */
  readonly port?: number;
  /** berth's AE title (`--aet`); associations calling another are rejected. Default BERTH. */
  readonly aet?: string;
  /** Calling AE titles allowed (`--allow-aet`); default: any. */
  readonly allowAet?: readonly string[];
  /** Associations open at once (`--max-associations`); more are rejected (transient). Default 16. */
  readonly maxAssociations?: number;
  /** An association silent this long is aborted, its staging discarded (`--association-timeout`). Default 60 s. */
  readonly idleTimeoutMs?: number;
  /** How often the disk watermark is read (ms). Default 1000. */
  readonly watermarkPollMs?: number;
  readonly onEvent?: ReceiveEventSink;
}

export const DIMSE_DEFAULTS = {
  host: '127.0.0.1',
  port: 11112,
  aet: 'BERTH',
  maxAssociations: 16,
  idleTimeoutMs: 60_000,
};

/** How often the disk watermark is read while the SCP runs, by default. */
const WATERMARK_POLL_MS = 1000;

/** A running SCP. */
export interface DimseServer {
  readonly port: number;
  /**
   * Stops accepting, lets open associations end by themselves for up to `graceMs`, then commits
   * what each acknowledged and aborts it. Resolves when every socket is closed.
   */
  close(graceMs: number): Promise<void>;
}

let configured = false;
/** dcmjs-dimse logs through a global logger and names itself in associations: berth's names instead. */
function configureDimse(): void {
  if (configured) return;
  configured = true;
  dimse.log.setLevel('silent');
  dimse.Implementation.setImplementationClassUid(BERTH_IMPLEMENTATION_CLASS_UID);
  dimse.Implementation.setImplementationVersion(BERTH_IMPLEMENTATION_VERSION);
}

/** Starts the SCP; resolves once it listens. */
export async function startDimseScp(options: DimseOptions, sink: ListenSink): Promise<DimseServer> {
  configureDimse();
  const o = { ...DIMSE_DEFAULTS, ...definedOnly(options) };
  if (!/^[\x20-\x7e]{1,16}$/.test(o.aet) || o.aet.trim() !== o.aet) {
    throw new BerthError('BERTH_E_USAGE', `The AE title ${JSON.stringify(o.aet)} is not valid`, {
      expected: '1–16 printable ASCII characters without leading or trailing spaces',
    });
  }
  let full = await sink.full();
  const ctx: AssociationContext = {
    sink,
    aet: o.aet,
    allowAet: options.allowAet ? new Set(options.allowAet.map((a) => a.trim())) : undefined,
    maxAssociations: o.maxAssociations,
    active: new Set(),
    isFull: () => full,
    onEvent: options.onEvent ?? (() => undefined),
  };
  const poll = setInterval(() => {
    sink.full().then(
      (f) => (full = f),
      () => undefined,
    );
  }, options.watermarkPollMs ?? WATERMARK_POLL_MS);
  poll.unref();
  const sockets = new Set<net.Socket>();
  // A hard cap against connection floods; polite refusals (A-ASSOCIATE-RJ) happen below it.
  // Counted here: the server's own count (maxConnections) ends when the socket changes hands.
  const maxConnections = o.maxAssociations * 2 + 4;
  const server = net.createServer({ pauseOnConnect: true }, (accepted) => {
    if (sockets.size >= maxConnections) return void accepted.destroy();
    // Reads arrive from the event loop, after this handler has made the association.
    const socket = withReadBuffer(accepted, (chunk) => scp.read(chunk));
    if (!socket) return;
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const scp = new ReceiverScp(socket, o.idleTimeoutMs, ctx);
  });
  const port = await listen(server, o.host, o.port);
  return {
    port,
    close: async (graceMs) => {
      clearInterval(poll);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await waitUntil(() => sockets.size === 0, graceMs);
      await Promise.all([...ctx.active].map((scp) => scp.shutdown()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new BerthError('BERTH_E_USAGE', `Cannot listen on ${host}:${port}: ${e.code ?? e.message}`, {
          expected: 'a free port on an interface of this host',
        }),
      ),
    );
    server.listen({ host, port }, () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** Resolves when `done()` holds or after `ms`, checking every 50 ms. */
async function waitUntil(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}
