/**
 * The EIR stream server: a WebSocket endpoint that speaks the EIR streaming protocol 1.0 over an
 * {@link EirSampleSource}, so EIR 0.23.0 (`input_source: ws://host:port/ws`) can train on it.
 *
 * Per connection: the handshake comes first; requests are answered strictly in the order they
 * arrived, one reply each (two for reset), even when EIR pipelines them and samples load
 * asynchronously; sends wait while the client is not reading. Across connections: one shared
 * {@link EirStream}.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import type { RawData } from 'ws';
import { BerthError, toBerthError } from '../../errors.js';
import { parseClientMessage } from './protocol-parse.js';
import { EIR_PROTOCOL_VERSION, errorReply } from './protocol.js';
import type { EirSampleSource, EirServerMessage } from './protocol.js';
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

/** Close code for a protocol violation (RFC 6455 §7.4.1). */
const CLOSE_PROTOCOL_ERROR = 1002;
/** Close code for a policy violation (no handshake in time, too many pending requests). */
const CLOSE_POLICY = 1008;

/** The parts of the options one connection needs. */
interface ConnectionLimits {
  maxBatchSize: number;
  highWaterMarkBytes: number;
  maxPendingBytes: number;
  maxPendingRequests: number;
  handshakeTimeoutMs: number;
  report: (error: BerthError) => void;
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

  const http: Server = createServer((_req, res) => {
    // Plain HTTP on the stream's port is a misconfiguration; say what is expected.
    res.writeHead(426, {
      'content-type': 'text/plain; charset=utf-8',
      upgrade: 'websocket',
      connection: 'close',
    });
    res.end(`This is an EIR stream server; connect with a WebSocket to ${path}\n`);
  });
  // Every raw socket, upgraded or not, so close() can free the port even mid-handshake.
  const sockets = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
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

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(toBerthError(e, 'BERTH_E_IO'));
    http.once('error', onError);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', onError);
      resolve();
    });
  });
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

/** One incoming frame waiting for its turn. */
interface Pending {
  data: string | Buffer;
  /** Its size as received. */
  bytes: number;
}

/**
 * One client connection: a FIFO of incoming frames worked off one at a time, so replies leave in
 * request order however long each takes; sends pause while the client is not reading.
 */
class EirConnection {
  private readonly queue: (Pending | undefined)[] = [];
  private head = 0;
  /** Bytes of the frames waiting in `queue`. */
  private pendingBytes = 0;
  private working = false;
  private handshaken = false;
  /** Set once the server decided to close; nothing more is read or answered. */
  private closing = false;
  private closed = false;
  private readonly closedSignal: Promise<void>;
  private readonly handshakeTimer: NodeJS.Timeout;

  constructor(
    private readonly ws: WebSocket,
    private readonly stream: EirStream,
    private readonly limits: ConnectionLimits,
    private readonly peer: string,
  ) {
    stream.connections++;
    this.closedSignal = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    this.handshakeTimer = setTimeout(() => {
      if (this.handshaken || this.closed) return;
      this.closeWith(CLOSE_POLICY, 'No handshake received');
    }, limits.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    ws.on('message', (data: RawData, isBinary: boolean) => this.receive(data, isBinary));
    ws.on('ping', (data: Buffer) => {
      if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount <= limits.highWaterMarkBytes) ws.pong(data);
    });
    // Without an 'error' listener a bad frame (oversized, invalid UTF-8) would crash the process;
    // ws closes that connection itself afterwards.
    ws.on('error', (e: Error) => {
      this.limits.report(
        new BerthError('BERTH_E_EIR_PROTOCOL', `EIR connection from ${this.peer}: ${e.message}`),
      );
    });
    ws.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.stream.connections--;
      clearTimeout(this.handshakeTimer);
      this.dropQueue();
    });
  }

  /** Requests waiting plus replies not yet handed to the kernel. */
  bufferedBytes(): number {
    return this.pendingBytes + (this.closed ? 0 : this.ws.bufferedAmount);
  }

  private dropQueue(): void {
    this.queue.length = 0;
    this.head = 0;
    this.pendingBytes = 0;
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.closed || this.closing) return;
    if (this.queue.length - this.head >= this.limits.maxPendingRequests) {
      this.closeWith(CLOSE_POLICY, 'Too many pending requests');
      return;
    }
    const buffer = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    if (this.pendingBytes > 0 && this.pendingBytes + buffer.length > this.limits.maxPendingBytes) {
      // Replies wait for the client to read while its requests keep coming: it is not reading.
      const waiting = this.pendingBytes + this.ws.bufferedAmount;
      this.closeWith(CLOSE_POLICY, `Client not reading: ${waiting} bytes held for it`);
      return;
    }
    this.pendingBytes += buffer.length;
    this.queue.push({ data: isBinary ? buffer : buffer.toString('utf8'), bytes: buffer.length });
    if (!this.working) {
      this.work().catch((e: unknown) => this.limits.report(toBerthError(e)));
    }
  }

  /** Works off the queue; the only place replies are sent, hence one at a time and in order. */
  private async work(): Promise<void> {
    this.working = true;
    try {
      while (!this.closed && !this.closing && this.head < this.queue.length) {
        const item = this.queue[this.head] as Pending;
        // Drop the frame now: it may be megabytes and the queue keeps its slot until compaction.
        this.queue[this.head++] = undefined;
        this.pendingBytes -= item.bytes;
        // Compact now and then so a long-lived connection does not keep every frame it ever got.
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        let replies: EirServerMessage[];
        let closeAfter = false;
        try {
          ({ replies, closeAfter } = await this.handle(item.data));
        } catch (e) {
          replies = [errorReply(`Internal error: ${e instanceof Error ? e.message : String(e)}`)];
          this.limits.report(toBerthError(e));
        }
        for (const reply of replies) await this.send(reply);
        if (closeAfter) {
          this.closeWith(CLOSE_PROTOCOL_ERROR, 'Incompatible protocol version');
          return;
        }
      }
    } finally {
      this.working = false;
    }
  }

  private async handle(data: string | Buffer): Promise<{ replies: EirServerMessage[]; closeAfter: boolean }> {
    const parsed = parseClientMessage(data, { maxBatchSize: this.limits.maxBatchSize });
    if (!parsed.ok) return { replies: [errorReply(parsed.error)], closeAfter: false };
    const message = parsed.message;
    if (message.type === 'handshake') {
      if (message.version !== EIR_PROTOCOL_VERSION) {
        const text = `Incompatible protocol version: this server speaks ${EIR_PROTOCOL_VERSION}, got ${JSON.stringify(message.version.slice(0, 40))}`;
        return { replies: [errorReply(text)], closeAfter: true };
      }
      this.handshaken = true;
      clearTimeout(this.handshakeTimer);
      return { replies: [{ type: 'handshake', version: EIR_PROTOCOL_VERSION }], closeAfter: false };
    }
    if (!this.handshaken) {
      const text = `Handshake required first: send {"type": "handshake", "version": "${EIR_PROTOCOL_VERSION}"} before ${message.type}`;
      return { replies: [errorReply(text)], closeAfter: false };
    }
    return { replies: await this.stream.respond(message), closeAfter: false };
  }

  /**
   * Sends one reply as a text frame. While more than the high-water mark is queued for this
   * client, waits until this frame has been handed to the kernel, so a client that stops reading
   * stops the server from producing (and loading) more for it.
   */
  private async send(message: EirServerMessage): Promise<void> {
    if (this.closed || this.closing || this.ws.readyState !== WebSocket.OPEN) return;
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (e) {
      // A source value JSON cannot hold (a BigInt, a cycle): the client still gets its one reply.
      const detail = e instanceof Error ? e.message : String(e);
      this.limits.report(
        new BerthError('BERTH_E_EIR_SOURCE', `A ${message.type} reply could not be serialised: ${detail}`),
      );
      text = JSON.stringify(errorReply(`The ${message.type} reply could not be serialised: ${detail}`));
    }
    const written = new Promise<void>((resolve) => {
      this.ws.send(text, { binary: false }, () => resolve());
    });
    if (this.ws.bufferedAmount <= this.limits.highWaterMarkBytes) return;
    await Promise.race([written, this.closedSignal]);
  }

  private closeWith(code: number, reason: string): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    // Nothing waiting will be answered: free it now, not when the socket finally closes.
    this.dropQueue();
    this.limits.report(
      new BerthError('BERTH_E_EIR_PROTOCOL', `EIR connection from ${this.peer} closed (${code}): ${reason}`),
    );
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(code, reason);
      // A client that never answers the close frame must not hold the connection open.
      setTimeout(() => this.ws.terminate(), 2_000).unref();
    } else this.ws.terminate();
  }
}
