/**
 * The EIR stream server: a WebSocket endpoint that speaks the EIR streaming protocol 1.0 over an
 * {@link EirSampleSource}, so EIR 0.23.0 (`input_source: ws://host:port/ws`) can train on it.
 *
 * Per connection (./connection.ts): the handshake comes first; requests are answered strictly in
 * the order they arrived, one reply each (two for reset), even when EIR pipelines them and samples
 * load asynchronously; sends wait while the client is not reading. Across connections: one
 * shared {@link EirStream}.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BerthError, toBerthError } from '../../errors.js';
import { EirConnection, type ConnectionLimits } from './connection.js';
import type { EirSampleSource } from './protocol.js';
import { EirStream } from './state.js';

/** Options of {@link startEirServer}. */
export interface EirServerOptions {
  /** The dataset to stream. */
  source: EirSampleSource;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /** WebSocket path; EIR's references all use `/ws`. Default `/ws`. */
  path?: string;
  /**
   * Largest `getData` batch_size served; larger ones get an error reply. EIR answers an error
   * reply by asking again with the same size, so keep this at least EIR's
   * `streaming_batch_size` and `batch_size`. Default 10 000 (EIR's default setup sample count).
   */
  maxBatchSize?: number;
  /** Largest incoming message in bytes; a larger one closes that connection (1009). Default 16 MiB. */
  maxMessageBytes?: number;
  /**
   * Bytes a connection may have queued for sending before the server stops answering it until
   * the client reads. Default 8 MiB.
   */
  highWaterMarkBytes?: number;
  /**
   * Bytes of requests a connection may have waiting for their turn (one message always fits).
   * A client that keeps sending but does not read its replies reaches it: the connection is then
   * closed (1008, "Client not reading: …") rather than queueing every later frame. Default 32 MiB.
   */
  maxPendingBytes?: number;
  /**
   * Requests a connection may have waiting for their turn. EIR pipelines about one request more
   * than it reads per batch, so this must exceed the batches of one epoch. Beyond it the
   * connection is closed (1008) rather than buffered without bound. Default 100 000.
   */
  maxPendingRequests?: number;
  /** A connection that sends no valid handshake within this time is closed (1008). Default 30 000 ms. */
  handshakeTimeoutMs?: number;
  /** Samples of one batch loaded at once. Default 16. */
  loadConcurrency?: number;
  /** Told about problems the server handled without stopping: failed samples, broken connections. */
  onError?: (error: BerthError) => void;
}

/** A running EIR stream server. */
export interface EirServer {
  /** `ws://host:port/path`, the value for EIR's `input_source` and `output_source`. */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  /** The shared stream state, for inspection. */
  readonly stream: EirStream;
  /**
   * Bytes held for clients now: requests waiting for their turn plus replies not yet handed to
   * the kernel (ws `bufferedAmount`), over all connections.
   */
  bufferedBytes(): number;
  /** Terminates every client and stops listening; resolves when the port is free. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts an EIR stream server. Reads the source's info and ids first, so a source EIR could not
 * use is refused here (`BERTH_E_EIR_SOURCE`).
 *
 * Protocol decisions (README):
 * - a wrong handshake `version` gets `{"type":"error",...}` and the connection is then closed
 *   (1002), as EIR's reference servers do: nothing after it could be understood;
 * - any other request before the handshake gets an error reply and the connection stays open,
 *   so the client can still handshake;
 * - a malformed message gets an error reply and the connection stays open;
 * - after the data ends every getData gets `["terminate"]` until a reset; the server never
 *   closes a connection because the data ended.
 */
export async function startEirServer(options: EirServerOptions): Promise<EirServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/ws';
  if (!path.startsWith('/'))
    throw new BerthError('BERTH_E_USAGE', `The EIR server path must start with "/": ${path}`);
  const report = (error: BerthError): void => {
    try {
      options.onError?.(error);
    } catch {
      // An observer's failure must not reach the socket handlers.
    }
  };
  const stream = new EirStream(options.source, {
    loadConcurrency: options.loadConcurrency ?? 16,
    onSampleError: report,
  });
  const limits: ConnectionLimits = {
    maxBatchSize: positiveInt(options.maxBatchSize, 10_000, 'maxBatchSize'),
    highWaterMarkBytes: positiveInt(options.highWaterMarkBytes, 8 * 2 ** 20, 'highWaterMarkBytes'),
    maxPendingBytes: positiveInt(options.maxPendingBytes, 32 * 2 ** 20, 'maxPendingBytes'),
    maxPendingRequests: positiveInt(options.maxPendingRequests, 100_000, 'maxPendingRequests'),
    handshakeTimeoutMs: positiveInt(options.handshakeTimeoutMs, 30_000, 'handshakeTimeoutMs'),
    report,
  };

  const { http, sockets } = upgradeOnlyServer(path);
  const wss = new WebSocketServer({
    server: http,
    path,
    maxPayload: positiveInt(options.maxMessageBytes, 16 * 2 ** 20, 'maxMessageBytes'),
    perMessageDeflate: false,
    clientTracking: true,
    // Pongs are sent by EirConnection, only while the client reads: a ping flood from a client
    // that does not read would otherwise queue a pong each, without bound.
    autoPong: false,
  });
  const connections = new Set<EirConnection>();
  wss.on('error', (e) => report(toBerthError(e, 'BERTH_E_IO')));
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const connection = new EirConnection(ws, stream, limits, req.socket.remoteAddress ?? '?');
    connections.add(connection);
    ws.once('close', () => connections.delete(connection));
  });

  await listen(http, options.port ?? 0, host);
  http.on('error', (e) => report(toBerthError(e, 'BERTH_E_IO')));

  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `ws://${urlHost}:${port}${path}`,
    port,
    stream,
    bufferedBytes(): number {
      let n = 0;
      for (const c of connections) n += c.bufferedBytes();
      return n;
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/**
 * The HTTP server the WebSocket server upgrades from: plain HTTP gets 426 with what is expected.
 * Every raw socket, upgraded or not, is kept, so close() can free the port even mid-handshake.
 */
function upgradeOnlyServer(path: string): { http: Server; sockets: Set<Socket> } {
  const http: Server = createServer((_req, res) => {
    // Plain HTTP on the stream's port is a misconfiguration; say what is expected.
    res.writeHead(426, {
      'content-type': 'text/plain; charset=utf-8',
      upgrade: 'websocket',
      connection: 'close',
    });
    res.end(`This is an EIR stream server; connect with a WebSocket to ${path}\n`);
  });
  const sockets = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return { http, sockets };
}

/** Listens; a failure to listen (port taken) rejects as a berth error. */
async function listen(http: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(toBerthError(e, 'BERTH_E_IO'));
    http.once('error', onError);
    http.listen(port, host, () => {
      http.off('error', onError);
      resolve();
    });
  });
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new BerthError(
      'BERTH_E_USAGE',
      `EIR server option ${name} must be a positive integer (got ${value})`,
    );
  }
  return value;
}
