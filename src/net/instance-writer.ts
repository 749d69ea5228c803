/**
 * One received instance on its way to disk: a Writable that streams bytes into a new file of a
 * staging batch (never holding the data set in memory), counts them against the size limit, and a
 * `finish()` that reads its header and names it by its SOP Instance UID (the batch's commit fsyncs).
 *
 * The file's open, writes, rename and close are synchronous system calls on the event loop, as
 * dcmtk's storescp makes them: each hands bytes to the page cache in tens of microseconds, while
 * every libuv thread-pool round trip costs a wake-up on a busy host — with them an instance's last
 * byte waited 1–4 ms for its response, the better part of berth's receive time (bench `listen`).
 * A disk that falls behind blocks the write, which stops reading the socket: the sender waits, no
 * data set piles up in memory. The slow call, fsync, stays off the event loop (staging.ts).
 */
import fs from 'node:fs';
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { BerthError, isBerthError, toBerthError } from '../errors.js';
import { scanHeader, scanHeaderBytes, type DicomHeader } from '../dicom/scan.js';
import { withRepairedMeta } from '../dicom/write.js';
import type { ExpectedInstance, InstanceWriter, ReceivedInstance } from './sink.js';

/**
 * What a UID must look like to name a file or folder of the spool: digits and dots, starting with a
 * digit, at most 64 characters (leading zeros in components, common in the field, are let through).
 */
export function isSpoolUid(uid: string): boolean {
  return /^[0-9][0-9.]{0,63}$/.test(uid);
}

/** Bytes buffered before `write()` asks the producer to wait (writes complete at once: rarely). */
const HIGH_WATER_MARK = 1024 * 1024;

/** The first bytes of an instance kept in memory, so its header is read without opening it again. */
const PREFIX_BYTES = 64 * 1024;

/** Streams into `path` (created exclusively); bytes beyond `maxBytes` are counted, never written. */
class InstanceStream extends Writable {
  fd: number | undefined;
  bytes = 0;
  overLimit = false;
  /** The first {@link PREFIX_BYTES} bytes written (meta included). */
  readonly prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  prefixLength = 0;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly head: Buffer | undefined,
  ) {
    // Not destroyed on 'finish': a finished instance's descriptor is handed on, still open, for its
    // background fdatasync (staging.ts), which then needs no open of its own.
    super({ highWaterMark: HIGH_WATER_MARK, decodeStrings: true, autoDestroy: false });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    try {
      this.fd = fs.openSync(
        this.path,
        fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL,
        0o644,
      );
    } catch (e) {
      return callback(e as Error);
    }
    if (!this.head) return callback();
    this.bytes = this.head.length;
    this.keepPrefix([this.head]);
    writeAll(this.fd, [this.head], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk);
    const size = buffers.reduce((n, b) => n + b.length, 0);
    this.bytes += size;
    if (this.overLimit || this.bytes > this.maxBytes) {
      // Keep consuming (the peer sends the rest of the data set anyway), write nothing more.
      this.overLimit = true;
      return callback();
    }
    this.keepPrefix(buffers);
    writeAll(this.fd as number, buffers, callback);
  }

  private keepPrefix(buffers: readonly Buffer[]): void {
    for (const b of buffers) {
      if (this.prefixLength >= PREFIX_BYTES) return;
      this.prefixLength += b.copy(this.prefix, this.prefixLength, 0, PREFIX_BYTES - this.prefixLength);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (fd !== undefined) fs.closeSync(fd);
    } catch (e) {
      return callback(error ?? (e as Error));
    }
    callback(error);
  }
}

/** Writes every byte of `buffers` (a short write is continued), then calls back. */
function writeAll(fd: number, buffers: Buffer[], callback: (error?: Error | null) => void): void {
  try {
    const total = buffers.reduce((n, b) => n + b.length, 0);
    let written = fs.writevSync(fd, buffers);
    if (written < total) {
      const rest = Buffer.concat(buffers);
      while (written < total) written += fs.writeSync(fd, rest, written);
    }
  } catch (e) {
    return callback(e as Error);
  }
  callback();
}

/** Where a finished instance is kept in its batch, and how the batch learns about it. */
export interface WriterPlace {
  /** The partial file's path (`<n>.part` in the staging folder). */
  readonly partPath: string;
  /** The final name in the staging folder for a SOP Instance UID. */
  readonly donePath: (sopInstanceUid: string) => string;
  readonly maxBytes: number;
  /**
   * Called once the instance is under its final staging name, with its still open descriptor,
   * which the callee owns from then on (it makes the file durable and closes it).
   */
  readonly kept: (instance: ReceivedInstance, path: string, fd: number) => void;
}

/** The preamble and File Meta Information berth writes before a DIMSE data set. */
function metaHead(expected: ExpectedInstance): Buffer | undefined {
  const { transferSyntaxUid, sopClassUid, sopInstanceUid } = expected;
  if (transferSyntaxUid === undefined) return undefined;
  return withRepairedMeta(new Uint8Array(0), {
    transferSyntaxUid,
    sopClassUid: sopClassUid ?? '',
    sopInstanceUid: sopInstanceUid ?? '',
  });
}

/** A writer for one instance of a batch (see {@link InstanceWriter}). */
export function instanceWriter(place: WriterPlace, expected: ExpectedInstance = {}): InstanceWriter {
  const stream = new InstanceStream(place.partPath, place.maxBytes, metaHead(expected));
  const drop = () => rm(place.partPath, { force: true }).catch(() => undefined);
  return {
    stream,
    finish: async () => {
      try {
        // 'finish', not 'close': the bytes are written; the descriptor's close needs no waiting.
        await untilFinished(stream);
        const instance = await checkInstance(stream, place, expected);
        const done = place.donePath(instance.sopInstanceUid);
        fs.renameSync(place.partPath, done);
        const fd = stream.fd as number;
        stream.fd = undefined;
        stream.destroy();
        place.kept(instance, done, fd);
        return instance;
      } catch (e) {
        stream.destroy();
        await drop();
        throw isBerthError(e) ? e : toBerthError(e, 'BERTH_E_IO', { path: place.partPath });
      }
    },
    abandon: async () => {
      stream.destroy();
      await drop();
    },
  };
}

async function checkInstance(
  stream: InstanceStream,
  place: WriterPlace,
  expected: ExpectedInstance,
): Promise<ReceivedInstance> {
  if (stream.overLimit) {
    throw new BerthError(
      'BERTH_E_LISTEN_RECEIVE_TOO_LARGE',
      `The instance has ${stream.bytes} bytes or more`,
      {
        expected: `at most ${place.maxBytes} bytes (--max-instance-bytes)`,
      },
    );
  }
  const h = await headerOf(stream, place.partPath);
  const uids = [h.SOPInstanceUID, h.SOPClassUID, h.StudyInstanceUID, h.SeriesInstanceUID];
  const bad = uids.find((u) => !isSpoolUid(u));
  const mismatch =
    (expected.sopInstanceUid !== undefined && expected.sopInstanceUid !== h.SOPInstanceUID) ||
    (expected.sopClassUid !== undefined && expected.sopClassUid !== h.SOPClassUID) ||
    (expected.studyInstanceUid !== undefined && expected.studyInstanceUid !== h.StudyInstanceUID);
  if (bad !== undefined || mismatch) {
    throw new BerthError(
      'BERTH_E_LISTEN_RECEIVE_UID_MISMATCH',
      bad !== undefined
        ? `The UID ${JSON.stringify(bad)} is not a valid DICOM UID`
        : `The data set is SOP instance ${h.SOPInstanceUID} of class ${h.SOPClassUID} in study ${h.StudyInstanceUID}, the request named ${JSON.stringify(expected)}`,
      { expected: 'valid UIDs, equal to those the request names (C-STORE command, STOW-RS study)' },
    );
  }
  return {
    sopInstanceUid: h.SOPInstanceUID,
    sopClassUid: h.SOPClassUID,
    studyInstanceUid: h.StudyInstanceUID,
    seriesInstanceUid: h.SeriesInstanceUID,
    transferSyntaxUid: h.TransferSyntaxUID,
    bytes: stream.bytes,
  };
}

/** The header, from the bytes kept in memory when they hold it, else read from the file. */
async function headerOf(stream: InstanceStream, path: string): Promise<DicomHeader> {
  try {
    return scanHeaderBytes(stream.prefix.subarray(0, stream.prefixLength), path, { fileSize: stream.bytes });
  } catch (e) {
    if (stream.prefixLength >= stream.bytes) throw e;
    return scanHeader(path);
  }
}

/** Resolves once every byte written to the stream is written to its file; rejects on its error. */
function untilFinished(stream: Writable): Promise<void> {
  if (stream.writableFinished) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (e?: unknown) => {
      stream.off('finish', done);
      stream.off('error', done);
      stream.off('close', closed);
      if (e === undefined) resolve();
      else reject(e instanceof Error ? e : new Error(String(e)));
    };
    const closed = () =>
      done(stream.writableFinished ? undefined : new Error('the instance file closed early'));
    stream.on('finish', done);
    stream.on('error', done);
    stream.on('close', closed);
  });
}
