/**
 * The two wire formats of whole cases and output trees, their limits, and how to tell them apart.
 * The document formats themselves are described in the README, "Wire formats".
 */
import path from 'node:path';

/** The two document formats: JSON (files as base64) and msgpack (files as bin, msgpack-numpy arrays). */
export type WireFormat = 'json' | 'msgpack';

/** Every {@link WireFormat}. */
export const WIRE_FORMATS: readonly WireFormat[] = ['json', 'msgpack'];

/** True for `'json'` and `'msgpack'`. */
export function isWireFormat(value: unknown): value is WireFormat {
  return value === 'json' || value === 'msgpack';
}

/**
 * The media type of each format, as Truss and Chains use them: msgpack travels as
 * `application/octet-stream` (Truss recognises no msgpack media type).
 */
export const WIRE_MEDIA_TYPE: Record<WireFormat, string> = {
  json: 'application/json',
  msgpack: 'application/octet-stream',
};

/** Limits on a document. */
export interface WireLimits {
  /** The largest document accepted or produced, in bytes (default {@link DEFAULT_MAX_BYTES}). */
  maxBytes?: number;
  /**
   * The deepest nesting of objects and arrays accepted (default {@link DEFAULT_MAX_DEPTH}); the
   * top-level object is depth 1.
   */
  maxDepth?: number;
  /**
   * The most tree entries (files and directories: each property value, array item and DICOM
   * instance) one document may create (default {@link DEFAULT_MAX_ENTRIES}).
   */
  maxEntries?: number;
  /** The most items of one array (DICOM series and study lists included; default {@link DEFAULT_MAX_ARRAY_ITEMS}). */
  maxArrayItems?: number;
}

/**
 * 512 MiB: about what one JavaScript string holds (V8's limit is 2^29 − 24 characters), so a JSON
 * document of this size can still be parsed; configurable for msgpack, whose limit is memory.
 */
export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

/** 64 levels: twice the deepest schema berth resolves (`MAX_PROPERTY_DEPTH`). */
export const DEFAULT_MAX_DEPTH = 64;

/**
 * 100,000 tree entries per document: far beyond any case (a CT study of a few thousand instances),
 * far below what exhausts a file system's inodes (without it, 200 KB of msgpack made 200k folders).
 */
export const DEFAULT_MAX_ENTRIES = 100_000;

/** 20,000 items per array: a DICOM series of 20,000 instances still fits. */
export const DEFAULT_MAX_ARRAY_ITEMS = 20_000;

/** The limits with defaults filled in. */
export function wireLimits(limits: WireLimits = {}): Required<WireLimits> {
  return {
    maxBytes: limits.maxBytes ?? DEFAULT_MAX_BYTES,
    maxDepth: limits.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxEntries: limits.maxEntries ?? DEFAULT_MAX_ENTRIES,
    maxArrayItems: limits.maxArrayItems ?? DEFAULT_MAX_ARRAY_ITEMS,
  };
}

/**
 * The format of a document from its first bytes: `{` (after optional whitespace or a UTF-8 BOM)
 * is JSON; a msgpack map header (fixmap `80`–`8f`, map16 `de`, map32 `df`) is msgpack. Both
 * formats' documents are maps, so nothing else is either.
 */
export function sniffWireFormat(bytes: Uint8Array): WireFormat | undefined {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)
  )
    i++;
  const b = bytes[i];
  if (b === undefined) return undefined;
  if (b === 0x7b) return 'json';
  if (i === 0 && ((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf)) return 'msgpack';
  return undefined;
}

/** The format a file name implies: `.json`; `.msgpack`, `.mpk`, `.mp`, `.bin`; else undefined. */
export function wireFormatOfPath(file: string): WireFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (['.msgpack', '.mpk', '.mp', '.bin'].includes(ext)) return 'msgpack';
  return undefined;
}

/**
 * A JSON pointer (RFC 6901) one step below `base`: `~` is written `~0` and `/` is written `~1`, so
 * any key can be named. The document itself is `''`; its member `ct` is `/ct`; the third item of
 * `measurements` is `/measurements/2`.
 */
export function pointerTo(base: string, segment: string | number): string {
  return `${base}/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}
