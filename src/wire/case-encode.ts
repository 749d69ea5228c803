/**
 * Tree → wire document: one side's tree, read with the SDK's readers (so every value is parsed and
 * checked as machine code would see it), becomes a JSON or msgpack document.
 *
 * Files are read once each into one Buffer: JSON turns it into one base64 string, msgpack embeds
 * it as bin; nothing is concatenated piecewise. The whole document is in memory at the end, so its
 * size is capped (`maxBytes`) and checked while files are read, before the limit is far exceeded.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, toBerthError } from '../errors.js';
import type { Property } from '../kinds/property.js';
import { kindOf } from '../kinds/registry.js';
import { setOwn, type JsonObject } from '../manifest/document.js';
import { allocBytes, asBuffer, type NdArray } from '../ndarray/ndarray.js';
import { readNpyHeader } from '../ndarray/npy.js';
import type { DicomImage, DicomSeries, DicomStudy } from '../sdk/dicom.js';
import { readObject } from '../sdk/read-value.js';
import { Limiter } from '../tree/entry.js';
import { encodeBase64 } from './base64.js';
import { pointerTo, wireLimits, type WireFormat, type WireLimits } from './case-format.js';
import { encodeNdarrayJson } from './ndarray-json.js';
import { encodeNdarrayMsgpack, packForPython } from './ndarray-msgpack.js';
import type { WireEncodeContext } from '../kinds/kind.js';

/** Options of the encoders. */
export interface EncodeTreeOptions extends Pick<WireLimits, 'maxBytes'> {
  /** Files read at once (default 16). */
  concurrency?: number;
}

/**
 * How the document value holds payloads: `json` as base64 strings (a JSON value to hand on),
 * `json-text` as bytes the serializer below turns into base64 in the output text, `msgpack` as
 * Buffers and msgpack-numpy maps.
 */
type Mode = WireFormat | 'json-text';

/** An array on its way into JSON text: its bytes become `data_b64` in the output directly. */
class NdarrayText {
  constructor(
    readonly bytes: Buffer,
    readonly shape: readonly number[],
    readonly dtype: string,
  ) {}
}

interface Encoding {
  readonly mode: Mode;
  readonly limiter: Limiter;
  readonly maxBytes: number;
  /** Bytes of file, array and DICOM payloads so far, as they will be in the document. */
  payload: number;
}

function grow(enc: Encoding, bytes: number, pointer: string, p: Property): void {
  enc.payload += enc.mode === 'msgpack' ? bytes : Math.ceil(bytes / 3) * 4;
  if (enc.payload > enc.maxBytes) {
    throw new BerthError(
      'BERTH_E_TOO_LARGE',
      `The document would exceed ${enc.maxBytes} bytes (at ${pointer || 'the document'})`,
      { property: p.path, expected: `a document of at most ${enc.maxBytes} bytes` },
    );
  }
}

/** Bytes as the format carries them: base64 text in JSON, bin (the Buffer itself) in msgpack. */
function bytesOut(enc: Encoding, bytes: Buffer, pointer: string, p: Property): string | Buffer {
  grow(enc, bytes.byteLength, pointer, p);
  return enc.mode === 'json' ? encodeBase64(bytes, { property: p.path }) : bytes;
}

async function readBytes(
  enc: Encoding,
  read: () => Promise<Buffer>,
  size: number,
  pointer: string,
  p: Property,
) {
  // Refuse before reading when the size is known to break the limit.
  if (size >= 0) {
    const projected = enc.payload + (enc.mode === 'msgpack' ? size : Math.ceil(size / 3) * 4);
    if (projected > enc.maxBytes) grow(enc, size, pointer, p);
  }
  return bytesOut(enc, await enc.limiter.run(read), pointer, p);
}

/**
 * Counts an ndarray's data against the document's size before the reader reads it whole: its
 * size comes from the `.npy` header (shape × item size; the header reader checks it against the
 * file's size), so a 4 GiB array, sparse or not, is refused (`BERTH_E_TOO_LARGE`) without a byte
 * of its data in memory. Encoding counts it no second time.
 */
async function reserveArray(enc: Encoding, p: Property, file: string, root: string): Promise<void> {
  if (kindOf(p.kind).model(p).type !== 'tensor') return;
  const header = await readNpyHeader(file);
  grow(enc, header.dataLength, `/${path.relative(root, file).split(path.sep).join('/')}`, p);
}

async function instanceSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return -1;
  }
}

/** Each kind's `wire.encode` says what its value is; this says how the document's format carries it. */
class EncodeContext implements WireEncodeContext {
  constructor(
    private readonly enc: Encoding,
    private readonly p: Property,
    private readonly pointer: string,
  ) {}

  bytes(read: () => Promise<Buffer>, size: number): Promise<unknown> {
    return readBytes(this.enc, read, size, this.pointer, this.p);
  }

  tensor(value: unknown): unknown {
    // Counted against maxBytes before it was read (reserveArray).
    const arr = value as NdArray;
    if (this.enc.mode === 'json') return encodeNdarrayJson(arr);
    if (this.enc.mode === 'json-text') return new NdarrayText(asBuffer(arr), arr.shape, arr.dtype);
    return encodeNdarrayMsgpack(arr);
  }

  members(props: readonly Property[], values: Record<string, unknown>): Promise<unknown> {
    return encodeMembers(this.enc, props, values, this.pointer);
  }

  items(item: Property, values: readonly unknown[]): Promise<unknown[]> {
    return Promise.all(values.map((v, i) => encodeValue(this.enc, item, v, pointerTo(this.pointer, i))));
  }

  async dicom(value: unknown, level: 'instance' | 'series' | 'study'): Promise<unknown> {
    const { enc, p, pointer } = this;
    if (level === 'instance') {
      const image = value as DicomImage;
      return readBytes(enc, () => image.bytes(), await instanceSize(image.path), pointer, p);
    }
    // Series after series (a study's in folder order), each in geometric order.
    const instances =
      level === 'series' ? [...(value as DicomSeries).instances] : (value as DicomStudy).instances();
    return Promise.all(
      instances.map(async (inst, i) =>
        readBytes(enc, () => inst.bytes(), await instanceSize(inst.path), pointerTo(pointer, i), p),
      ),
    );
  }
}

async function encodeValue(enc: Encoding, p: Property, value: unknown, pointer: string): Promise<unknown> {
  return kindOf(p.kind).wire.encode(value, p, new EncodeContext(enc, p, pointer));
}

async function encodeMembers(
  enc: Encoding,
  props: readonly Property[],
  values: Record<string, unknown>,
  pointer: string,
): Promise<Record<string, unknown>> {
  const present = props.filter((m) => values[m.name] !== undefined);
  const encoded = await Promise.all(
    present.map((m) => encodeValue(enc, m, values[m.name], pointerTo(pointer, m.name))),
  );
  // Members in schema order, as own keys (also `__proto__`); absent nullable members are left out.
  const out: Record<string, unknown> = {};
  present.forEach((m, i) => setOwn(out, m.name, encoded[i]));
  return out;
}

async function encodeWith(
  mode: Mode,
  props: readonly Property[],
  dir: string,
  options: EncodeTreeOptions,
): Promise<Record<string, unknown>> {
  let realRoot: string;
  try {
    realRoot = await realpath(dir);
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path: dir, expected: 'a tree directory' });
  }
  const enc: Encoding = {
    mode,
    limiter: new Limiter(Math.max(1, options.concurrency ?? 16)),
    maxBytes: wireLimits(options).maxBytes,
    payload: 0,
  };
  const values = await readObject(props, realRoot, {
    realRoot,
    beforeLeafRead: (p, file) => reserveArray(enc, p, file, realRoot),
  });
  return encodeMembers(enc, props, values, '');
}

/**
 * Reads one side's tree at `dir` with the SDK's readers and returns the document as a value:
 * plain objects in schema order, files as base64 strings (`json`) or Buffers (`msgpack`), ndarrays
 * as `NumpyArrayField` JSON objects or msgpack-numpy maps. Throws the readers' BerthErrors (a
 * required property missing, a value that does not parse …) and `BERTH_E_TOO_LARGE`.
 */
export function encodeTreeValue(
  format: WireFormat,
  props: readonly Property[],
  dir: string,
  options: EncodeTreeOptions = {},
): Promise<Record<string, unknown>> {
  return encodeWith(format, props, dir, options);
}

/**
 * Encodes one side's tree as a JSON document (a value to `JSON.stringify`): see the README, "Wire formats".
 * Throws as {@link encodeTreeValue}. For the document's bytes use {@link encodeTreeJsonBytes},
 * which is several times faster for large files.
 */
export async function encodeTreeJson(
  props: readonly Property[],
  dir: string,
  options: EncodeTreeOptions = {},
): Promise<JsonObject> {
  return (await encodeWith('json', props, dir, options)) as JsonObject;
}

/**
 * Encodes one side's tree as JSON document text in UTF-8 bytes — the same text as
 * `JSON.stringify(await encodeTreeJson(...))`, built without it: `JSON.stringify` scans every
 * character of a large base64 string for escapes (about 10 ns a byte), while base64 needs none,
 * so each payload is encoded once and copied once into the output.
 */
export async function encodeTreeJsonBytes(
  props: readonly Property[],
  dir: string,
  options: EncodeTreeOptions = {},
): Promise<Buffer> {
  const value = await encodeWith('json-text', props, dir, options);
  return checkedSize(jsonText(value), wireLimits(options).maxBytes);
}

/**
 * Encodes one side's tree as msgpack bytes Python's `msgpack.unpackb(b, object_hook=
 * msgpack_numpy.decode)` reads: see the README, "Wire formats". Throws as {@link encodeTreeValue}, and
 * `BERTH_E_TOO_LARGE` when the bytes exceed `maxBytes`.
 */
export async function encodeTreeMsgpack(
  props: readonly Property[],
  dir: string,
  options: EncodeTreeOptions = {},
): Promise<Buffer> {
  const value = await encodeWith('msgpack', props, dir, options);
  return checkedSize(packDocument(value), wireLimits(options).maxBytes);
}

/** One piece of JSON text: small text in UTF-8, or base64 (pure ASCII, copied as latin1). */
interface Piece {
  readonly text: string;
  readonly ascii: boolean;
}

/** Collects the JSON text of a `json-text` document value; small texts are joined before they are pieces. */
class JsonPieces {
  readonly pieces: Piece[] = [];
  #small: string[] = [];

  text(t: string): void {
    this.#small.push(t);
  }

  base64(bytes: Buffer): void {
    this.flush();
    this.pieces.push({ text: encodeBase64(bytes), ascii: true });
  }

  flush(): void {
    if (this.#small.length > 0) this.pieces.push({ text: this.#small.join(''), ascii: false });
    this.#small = [];
  }
}

function writeJson(v: unknown, out: JsonPieces): void {
  if (Buffer.isBuffer(v)) {
    out.text('"');
    out.base64(v);
    out.text('"');
  } else if (v instanceof NdarrayText) {
    out.text('{"data_b64":"');
    out.base64(v.bytes);
    out.text(`","shape":${JSON.stringify(v.shape)},"dtype":${JSON.stringify(v.dtype)}}`);
  } else if (Array.isArray(v)) {
    out.text('[');
    v.forEach((item, i) => {
      if (i > 0) out.text(',');
      writeJson(item, out);
    });
    out.text(']');
  } else if (typeof v === 'object' && v !== null) {
    out.text('{');
    let first = true;
    for (const [k, item] of Object.entries(v)) {
      if (!first) out.text(',');
      first = false;
      out.text(`${JSON.stringify(k)}:`);
      writeJson(item, out);
    }
    out.text('}');
  } else {
    out.text(JSON.stringify(v));
  }
}

/** The UTF-8 bytes of a `json-text` document value, allocated once at their exact size. */
function jsonText(value: Record<string, unknown>): Buffer {
  const out = new JsonPieces();
  writeJson(value, out);
  out.flush();
  let total = 0;
  for (const p of out.pieces) total += p.ascii ? p.text.length : Buffer.byteLength(p.text, 'utf8');
  const bytes = allocBytes(total);
  let at = 0;
  for (const p of out.pieces) at += bytes.write(p.text, at, p.ascii ? 'latin1' : 'utf8');
  return bytes;
}

/** Packs a document value for Python (no records, no ext types, 64-bit ints as ints). */
export function packDocument(value: Record<string, unknown>): Buffer {
  try {
    return packForPython(value);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new BerthError('BERTH_E_TOO_LARGE', 'The document is too large to pack as msgpack', { cause: e });
    }
    throw e;
  }
}

/** `bytes`, after checking they are at most `maxBytes` long. */
export function checkedSize(bytes: Buffer, maxBytes: number): Buffer {
  if (bytes.byteLength > maxBytes) {
    throw new BerthError('BERTH_E_TOO_LARGE', `The document is ${bytes.byteLength} bytes`, {
      expected: `at most ${maxBytes} bytes`,
    });
  }
  return bytes;
}
