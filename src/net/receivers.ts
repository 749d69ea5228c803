/**
 * The one entry the node starts: the C-ECHO/C-STORE SCP and, when an HTTP port is given, the
 * STOW-RS endpoint, on one host, feeding one sink; `close()` drains both.
 */
import { startDimseScp, type DimseOptions, type DimseServer } from './dimse-scp.js';
import type { ReceiveEventSink } from './receive-events.js';
import type { ListenSink } from './sink.js';
import type { StowServer } from './stow-server.js';

export interface ReceiverOptions extends Omit<DimseOptions, 'onEvent'> {
  /** STOW-RS port (`--http-port`); no STOW-RS endpoint when undefined. 0 picks a free one. */
  readonly httpPort?: number;
  /** Bearer token STOW-RS requests must carry (`--token`). */
  readonly token?: string;
  /** Most instances in one STOW-RS request (`--max-stow-parts`). Default 10000. */
  readonly maxStowParts?: number;
  /** How long `close()` lets open associations and requests finish. Default 30 s. */
  readonly drainMs?: number;
  readonly onEvent?: ReceiveEventSink;
}

export const DEFAULT_DRAIN_MS = 30_000;

export interface Receivers {
  readonly dimsePort: number;
  readonly httpPort: number | undefined;
  /**
   * Drains: stops accepting, lets open associations and requests finish (bounded by `drainMs`),
   * commits what berth acknowledged of those still open, then closes. Idempotent.
   */
  close(): Promise<void>;
}

/** Starts the receivers; resolves once every one listens (none is left running on a failure). */
export async function startReceivers(options: ReceiverOptions, sink: ListenSink): Promise<Receivers> {
  const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
  const dimse: DimseServer = await startDimseScp(options, sink);
  let stow: StowServer | undefined;
  if (options.httpPort !== undefined) {
    try {
      // fastify is loaded only when STOW-RS is on: ~10 MB of a receiver's memory otherwise.
      const { startStowServer } = await import('./stow-server.js');
      stow = await startStowServer(
        {
          host: options.host,
          port: options.httpPort,
          token: options.token,
          maxParts: options.maxStowParts,
          onEvent: options.onEvent,
        },
        sink,
      );
    } catch (e) {
      await dimse.close(0);
      throw e;
    }
  }
  let closing: Promise<void> | undefined;
  return {
    dimsePort: dimse.port,
    httpPort: stow?.port,
    close: () =>
      (closing ??= Promise.all([dimse.close(drainMs), stow?.close(drainMs)]).then(() => undefined)),
  };
}
