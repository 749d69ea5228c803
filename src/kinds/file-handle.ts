import type { ReadStream } from 'node:fs';
import { createRegularReadStream, readRegularFile } from '../tree/open-regular.js';
import type * as FileType from 'file-type';

/** Enough bytes for every magic number berth recognises (file-type's own sample size). */
export const MAGIC_PREFIX_BYTES = 4100;

/**
 * Reads up to `length` bytes from the start of a regular file (opened no-follow, non-blocking,
 * classified by fstat: a symlink, FIFO or device is a BerthError, never read or waited on).
 */
export async function readPrefix(path: string, length: number): Promise<Buffer> {
  return readRegularFile(path, { firstBytes: length });
}

let fileType: Promise<typeof FileType> | undefined;

/** The file-type package, loaded on first use: ~40 ms of module loading most commands never need. */
function fileTypeModule(): Promise<typeof FileType> {
  return (fileType ??= import('file-type'));
}

/** The media types berth recognises by magic bytes (file-type's set). */
export async function recognisedMimeTypes(): Promise<ReadonlySet<string>> {
  return (await fileTypeModule()).supportedMimeTypes as ReadonlySet<string>;
}

/** The media type the content's magic bytes say, or undefined when they say nothing known. */
export async function detectMimeType(prefix: Uint8Array): Promise<string | undefined> {
  const t = await (await fileTypeModule()).fileTypeFromBuffer(prefix);
  return t?.mime;
}

/**
 * A file input: where it is, how big, what its bytes say it is, and how to read it.
 * Nothing is read until asked, beyond the prefix that told the type.
 */
export class FileHandle {
  constructor(
    /** Absolute path of the file. */
    readonly path: string,
    /** Size in bytes. */
    readonly size: number,
    /** The media type detected from the content (undefined when unrecognised). */
    readonly detectedType: string | undefined,
    /** The media type the schema declares. */
    readonly declaredType: string,
  ) {}

  /** Reads the whole file (a regular file only: see {@link readRegularFile}). */
  async read(): Promise<Buffer> {
    return readRegularFile(this.path);
  }

  /** Streams the file (for large files; a regular file only, as {@link read}). */
  stream(options?: { start?: number; end?: number; highWaterMark?: number }): ReadStream {
    return createRegularReadStream(this.path, options);
  }

  /** Reads the file as UTF-8 text. */
  async text(): Promise<string> {
    return (await this.read()).toString('utf8');
  }
}
