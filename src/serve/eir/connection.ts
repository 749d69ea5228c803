/**
 * One EIR client connection: the handshake comes first; requests are answered strictly in the
 * order they arrived, one reply each (two for reset), even when EIR pipelines them and samples
 * load asynchronously; sends wait while the client is not reading.
 */
import { WebSocket, type RawData } from 'ws';
import { BerthError, toBerthError } from '../../errors.js';
import { parseClientMessage } from './protocol-parse.js';
import { EIR_PROTOCOL_VERSION, errorReply } from './protocol.js';
import type { EirServerMessage } from './protocol.js';
import type { EirStream } from './state.js';

/** Close code for a protocol violation (RFC 6455 §7.4.1). */
const CLOSE_PROTOCOL_ERROR = 1002;
/** Close code for a policy violation (no handshake in time, too many pending requests). */
const CLOSE_POLICY = 1008;

/** The parts of the options one connection needs. */
export interface ConnectionLimits {
  maxBatchSize: number;
  highWaterMarkBytes: number;
  maxPendingBytes: number;
  maxPendingRequests: number;
  handshakeTimeoutMs: number;
  report: (error: BerthError) => void;
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
export class EirConnection {
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
