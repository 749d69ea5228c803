/**
 * One received instance on its way to disk: bytes handed over as they arrive go into a new file of a
 * staging batch (never the whole data set in memory), counted against the size limit; `finish()`
 * reads its header and names it by its SOP Instance UID (the batch's commit fsyncs).
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

/** The first bytes of an instance kept in memory, so its header is read without opening it again. */
const PREFIX_BYTES = 64 * 1024;
/**
 * Prefix buffers of instances already checked, for the next ones: a fresh 64 KiB per instance was a
 * good part of the receiver's garbage. At most this many wait (one per concurrent instance is enough).
 */
const SPARE_PREFIXES = 16;
const sparePrefixes: Buffer[] = [];

/**
 * One instance's file, written with synchronous calls (see the module comment); bytes beyond
 * `maxBytes` are counted, never written. A failed open or write is kept and reported by the writer's
 * `finish()`: the caller goes on handing bytes (the peer sends the rest of the data set anyway).
 */
class InstanceFile {
  fd: number | undefined;
  bytes = 0;
  overLimit = false;
  failure: Error | undefined;
  /** The first {@link PREFIX_BYTES} bytes written (meta included); given back once read. */
  private prefix: Buffer | undefined = sparePrefixes.pop() ?? Buffer.allocUnsafe(PREFIX_BYTES);
  prefixLength = 0;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    head: Buffer | undefined,
  ) {
    try {
      this.fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
    } catch (e) {
      this.failure = e as Error;
      return;
    }
    if (head) this.write(head);
  }

  /** Writes `bytes` before it returns (the caller may reuse them); a failure is kept. */
  write(bytes: Buffer): void {
    this.bytes += bytes.length;
    if (this.failure || this.overLimit || this.fd === undefined) return;
    if (this.bytes > this.maxBytes) {
      // Keep counting (the peer sends the rest of the data set anyway), write nothing more.
      this.overLimit = true;
      return;
    }
    if (this.prefix && this.prefixLength < PREFIX_BYTES) {
      this.prefixLength += bytes.copy(this.prefix, this.prefixLength, 0, PREFIX_BYTES - this.prefixLength);
    }
    try {
      // A short write (a full disk) is continued, or ends in an error.
      for (let written = 0; written < bytes.length;) written += fs.writeSync(this.fd, bytes, written);
    } catch (e) {
      this.failure = e as Error;
    }
  }

  /** The header, from the bytes kept in memory when they hold it, else read from the file. */
  async header(): Promise<DicomHeader> {
    const prefix = this.prefix;
    if (!prefix) return scanHeader(this.path);
    try {
      return scanHeaderBytes(prefix.subarray(0, this.prefixLength), this.path, { fileSize: this.bytes });
    } catch (e) {
      if (this.prefixLength >= this.bytes) throw e;
      return scanHeader(this.path);
    } finally {
      this.givePrefixBack();
    }
  }

  /** Nothing reads the prefix any more: it goes to the next instance (the header holds copies). */
  private givePrefixBack(): void {
    if (this.prefix && sparePrefixes.length < SPARE_PREFIXES) sparePrefixes.push(this.prefix);
    this.prefix = undefined;
  }

  /** Closes the descriptor, if still open; a close failure is kept when none came before. */
  close(): void {
    this.givePrefixBack();
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (fd !== undefined) fs.closeSync(fd);
    } catch (e) {
      this.failure ??= e as Error;
    }
  }
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
  const file = new InstanceFile(place.partPath, place.maxBytes, metaHead(expected));
  const drop = () => rm(place.partPath, { force: true }).catch(() => undefined);
  return {
    write: (bytes) => file.write(bytes),
    finish: async () => {
      try {
        if (file.failure) throw file.failure;
        const instance = await checkInstance(file, place, expected);
        const done = place.donePath(instance.sopInstanceUid);
        fs.renameSync(place.partPath, done);
        const fd = file.fd as number;
        file.fd = undefined;
        place.kept(instance, done, fd);
        return instance;
      } catch (e) {
        file.close();
        await drop();
        throw isBerthError(e) ? e : toBerthError(e, 'BERTH_E_IO', { path: place.partPath });
      }
    },
    abandon: async () => {
      file.close();
      await drop();
    },
  };
}

async function checkInstance(
  file: InstanceFile,
  place: WriterPlace,
  expected: ExpectedInstance,
): Promise<ReceivedInstance> {
  if (file.overLimit) {
    throw new BerthError('BERTH_E_LISTEN_RECEIVE_TOO_LARGE', `The instance has ${file.bytes} bytes or more`, {
      expected: `at most ${place.maxBytes} bytes (--max-instance-bytes)`,
    });
  }
  const h = await file.header();
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
    bytes: file.bytes,
  };
}
