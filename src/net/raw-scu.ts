/**
 * berth's own C-STORE SCU: the output files go byte for byte (private tags, character sets and
 * encapsulated pixels as the machine wrote them), one association, one presentation context per
 * SOP class and transfer syntax of the files, each file streamed from disk in PDUs as large as the
 * peer takes, on a no-delay socket. Written instead of using dcmjs-dimse's Client, which decodes and
 * re-encodes each file (private tags lost) and transcodes only with extra set-up: 300 files of 64×64
 * to storescp took it 5.0–5.3 s, this SCU 0.5–0.7 s, dcmtk's storescu 0.2–0.5 s.
 * Files whose syntax the peer refuses are returned, for the caller to convert (delivery.ts).
 */
import { once } from 'node:events';
import net from 'node:net';
import { BerthError } from '../errors.js';
import { BERTH_IMPLEMENTATION_CLASS_UID, BERTH_IMPLEMENTATION_VERSION } from '../dicom/uid.js';
import { NeedMoreBytes } from '../dicom/read-element.js';
import { readPart10Header } from '../dicom/read-part10.js';
import { openRegularHandle } from '../tree/open-regular.js';
import {
  ABORT,
  PDU,
  RELEASE_RQ,
  associateRq,
  cStoreRq,
  commandStatus,
  pData,
  parseAssociateAc,
  type ProposedContext,
} from './scu-pdu.js';

/** Bounds of one delivery: connection and each PDU (default 10 s and 30 s). */
export interface ScuTimeouts {
  readonly connectMs?: number;
  readonly pduMs?: number;
}

/** Where to send, and as whom. */
export interface ScuTarget {
  readonly host: string;
  readonly port: number;
  readonly calledAet: string;
  readonly callingAet: string;
}

/** The largest PDU berth receives, and sends when the peer takes any size. */
const MAX_PDU = 256 * 1024;
/** Bytes of a file read to find its File Meta Information. */
const META_PREFIX = 64 * 1024;

interface FileMeta {
  readonly path: string;
  readonly sopClass: string;
  readonly sopInstance: string;
  readonly transferSyntax: string;
  readonly dataStart: number;
  readonly size: number;
}

async function readMeta(file: string): Promise<FileMeta> {
  const fh = await openRegularHandle(file);
  try {
    const { size } = await fh.stat();
    for (let want = Math.min(size, META_PREFIX); ; want = size) {
      const buf = Buffer.alloc(want);
      await fh.read(buf, 0, want, 0);
      try {
        const h = readPart10Header(
          { buf, end: want, complete: want === size, path: file, inflated: false },
          size,
        );
        if (!h.mediaStorageSopClassUid || !h.mediaStorageSopInstanceUid) {
          throw new BerthError(
            'BERTH_E_LISTEN_DELIVERY',
            `${file} has no SOP Class or Instance UID in its meta`,
          );
        }
        return {
          path: file,
          sopClass: h.mediaStorageSopClassUid,
          sopInstance: h.mediaStorageSopInstanceUid,
          transferSyntax: h.transferSyntaxUid,
          dataStart: h.metaEnd,
          size,
        };
      } catch (e) {
        if (!(e instanceof NeedMoreBytes) || want === size) throw e;
      }
    }
  } finally {
    await fh.close();
  }
}

/** Reads whole PDUs off a socket. */
class PduReader {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: ((pdu: { type: number; body: Buffer } | Error) => void) | undefined;
  private failure: Error | undefined;

  constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.deliver();
    });
    const fail = (e: Error): void => {
      this.failure ??= e;
      this.deliver();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the peer closed the connection')));
  }

  private take(): { type: number; body: Buffer } | undefined {
    if (this.buffered.length < 6) return undefined;
    const length = this.buffered.readUInt32BE(2);
    if (length > MAX_PDU) {
      // Longer than berth said it receives: a broken or hostile peer, never buffered.
      this.failure ??= new Error(
        `the peer sent a PDU of ${length} bytes (berth receives at most ${MAX_PDU})`,
      );
      this.socket.destroy();
      return undefined;
    }
    if (this.buffered.length < 6 + length) return undefined;
    const pdu = { type: this.buffered[0]!, body: this.buffered.subarray(6, 6 + length) };
    this.buffered = this.buffered.subarray(6 + length);
    return pdu;
  }

  private deliver(): void {
    if (!this.waiting) return;
    const pdu = this.take();
    if (pdu || this.failure) {
      const w = this.waiting;
      this.waiting = undefined;
      w(pdu ?? this.failure!);
    }
  }

  next(timeoutMs: number): Promise<{ type: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting = (r) => {
        clearTimeout(timer);
        if (r instanceof Error) reject(r);
        else resolve(r);
      };
      this.deliver();
    });
  }
}

function connect(target: ScuTarget, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

async function write(socket: net.Socket, bytes: Buffer): Promise<void> {
  if (!socket.write(bytes)) await once(socket, 'drain');
}

/** Streams a file's data set in P-DATA-TF PDUs of at most `maxPdu` bytes. */
async function sendDataSet(
  socket: net.Socket,
  contextId: number,
  meta: FileMeta,
  maxPdu: number,
): Promise<void> {
  const chunk = Math.max(1024, maxPdu - 6);
  const fh = await openRegularHandle(meta.path);
  try {
    let pos = meta.dataStart;
    do {
      const n = Math.min(chunk, meta.size - pos);
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, pos);
      if (bytesRead !== n) throw new Error(`${meta.path} changed while it was sent`);
      pos += n;
      await write(socket, pData(contextId, false, pos >= meta.size, buf));
    } while (pos < meta.size);
  } finally {
    await fh.close();
  }
}

/** Waits for the response command of the request in flight; returns its status. */
async function response(reader: PduReader, timeoutMs: number): Promise<number> {
  const fragments: Buffer[] = [];
  for (;;) {
    const pdu = await reader.next(timeoutMs);
    if (pdu.type !== PDU.pData) throw new Error(`the peer sent PDU type ${pdu.type} instead of a response`);
    for (let pos = 0; pos + 6 <= pdu.body.length;) {
      const len = pdu.body.readUInt32BE(pos);
      const header = pdu.body[pos + 5]!;
      if (header & 1) fragments.push(pdu.body.subarray(pos + 6, pos + 4 + len));
      if ((header & 3) === 3) {
        const status = commandStatus(Buffer.concat(fragments));
        if (status === undefined) throw new Error('a response without a status');
        return status;
      }
      pos += 4 + len;
    }
  }
}

/** The presentation contexts of a set of files: one per SOP class and transfer syntax. */
function contextsOf(metas: readonly FileMeta[]): Map<string, ProposedContext> {
  const contexts = new Map<string, ProposedContext>();
  for (const m of metas) {
    const key = `${m.sopClass}|${m.transferSyntax}`;
    if (contexts.has(key)) continue;
    if (contexts.size === 128) throw new Error('more than 128 SOP class and transfer syntax pairs');
    contexts.set(key, {
      id: contexts.size * 2 + 1,
      abstractSyntax: m.sopClass,
      transferSyntax: m.transferSyntax,
    });
  }
  return contexts;
}

/** Success (0000) and the warnings (0001, Bxxx): stored. */
function stored(status: number): boolean {
  return status === 0 || status === 1 || (status & 0xf000) === 0xb000;
}

async function associate(
  socket: net.Socket,
  reader: PduReader,
  target: ScuTarget,
  contexts: ProposedContext[],
  timeoutMs: number,
) {
  await write(
    socket,
    associateRq(
      target.calledAet,
      target.callingAet,
      contexts,
      { classUid: BERTH_IMPLEMENTATION_CLASS_UID, version: BERTH_IMPLEMENTATION_VERSION },
      MAX_PDU,
    ),
  );
  const answer = await reader.next(timeoutMs);
  if (answer.type === PDU.associateRj) {
    const [, result, source, reason] = answer.body;
    throw new Error(`the association was rejected (result ${result}, source ${source}, reason ${reason})`);
  }
  if (answer.type !== PDU.associateAc)
    throw new Error(`the peer answered PDU type ${answer.type} to A-ASSOCIATE-RQ`);
  return parseAssociateAc(answer.body);
}

/**
 * Sends `files` in one association; resolves with the files whose presentation context the peer
 * refused (not sent), rejects with BERTH_E_LISTEN_DELIVERY when a file was not stored.
 */
export async function cStoreRaw(
  target: ScuTarget,
  files: readonly string[],
  timeouts: ScuTimeouts = {},
): Promise<string[]> {
  const where = `C-STORE to ${target.calledAet}@${target.host}:${target.port}`;
  const metas = await Promise.all(files.map(readMeta));
  const contexts = contextsOf(metas);
  const pduMs = timeouts.pduMs ?? 30_000;
  let socket: net.Socket | undefined;
  try {
    socket = await connect(target, timeouts.connectMs ?? 10_000);
    const reader = new PduReader(socket);
    const accepted = await associate(socket, reader, target, [...contexts.values()], pduMs);
    const maxPdu = accepted.maxPdu === 0 ? MAX_PDU : Math.min(accepted.maxPdu, MAX_PDU * 4);
    const refused: string[] = [];
    let messageId = 0;
    for (const m of metas) {
      const id = contexts.get(`${m.sopClass}|${m.transferSyntax}`)!.id;
      if (!accepted.contexts.has(id)) {
        refused.push(m.path);
        continue;
      }
      messageId = (messageId % 0xffff) + 1;
      await write(socket, pData(id, true, true, cStoreRq(messageId, m.sopClass, m.sopInstance)));
      await sendDataSet(socket, id, m, maxPdu);
      const status = await response(reader, pduMs);
      if (!stored(status)) throw new Error(`status 0x${status.toString(16).padStart(4, '0')} for ${m.path}`);
    }
    await write(socket, RELEASE_RQ);
    const release = await reader.next(pduMs).catch(() => undefined);
    if (release && release.type !== PDU.releaseRp)
      throw new Error(`the peer answered PDU type ${release.type} to A-RELEASE-RQ`);
    socket.end();
    return refused;
  } catch (e) {
    if (socket && !socket.destroyed) {
      socket.write(ABORT);
      socket.destroy();
    }
    if (e instanceof BerthError) throw e;
    throw new BerthError('BERTH_E_LISTEN_DELIVERY', `${where} failed: ${(e as Error).message}`);
  }
}
