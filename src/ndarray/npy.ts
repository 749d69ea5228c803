/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), read and written without Python.
 *
 * Layout: the magic `\x93NUMPY`, a major and minor version byte, the header length (uint16 LE
 * for 1.0, uint32 LE for 2.0 and 3.0), then the header — a Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }` padded with spaces and ended by a
 * newline (latin-1 text; UTF-8 in 3.0) — then the raw element bytes.
 *
 * Reading is one `read` of the data into fresh aligned memory and a typed-array view on it.
 * Only two cases copy: big-endian data is swapped in place (no copy), and Fortran-order data
 * (first index fastest) is reordered into a second buffer in C order, because berth's arrays
 * are always C order; the header's `fortran_order` is not kept.
 */
import { openRegularHandle } from '../tree/open-regular.js';
import type { FileHandle } from 'node:fs/promises';
import { BerthError, toBerthError } from '../errors.js';
import type { Code } from '../errors.js';
import { writeFileAtomic } from '../tree/atomic.js';
import type { AtomicWriteOptions } from '../tree/atomic.js';
import { DTYPES, dtypeStr, parseDtype } from './dtype.js';
import type { ByteOrder, DtypeName } from './dtype.js';
import { allocBytes, asBytes, checkNdArray, fortranToC, fromBytes, shapeSize } from './ndarray.js';
import type { NdArray } from './ndarray.js';

/** The 6-byte magic every .npy file starts with. */
export const NPY_MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);

/** numpy aligns the data of the files it writes to this many bytes; so does berth. */
export const NPY_ALIGN = 64;

/**
 * numpy refuses headers over 10000 bytes by default; berth allows far more but not unbounded. What
 * berth writes stays far below (at most MAX_NDIM dimensions).
 */
export const MAX_HEADER_BYTES = 1 << 20;
const MAX_LITERAL_DEPTH = 32;

/** A parsed .npy header: what the data is and where it lies. */
export interface NpyHeader {
  /** Format version `[major, minor]`. */
  version: [number, number];
  dtype: DtypeName;
  /** The byte order of the data in the file (berth's arrays are always little-endian). */
  byteOrder: ByteOrder;
  /** True when the file stores the data in Fortran order. */
  fortranOrder: boolean;
  shape: number[];
  /** Offset of the first data byte from the start of the file. */
  dataOffset: number;
  /** Bytes of data the shape and dtype call for. */
  dataLength: number;
}

function formatError(detail: string, path?: string): BerthError {
  return new BerthError('BERTH_E_NPY_FORMAT', detail, {
    path,
    expected: 'a NumPy .npy file (format 1.0, 2.0 or 3.0)',
  });
}

/**
 * The length of the preamble plus header, from the first 12 bytes (fewer are refused as a
 * truncated file). Checks the magic and version.
 */
function readPreamble(
  bytes: Uint8Array,
  path?: string,
): { version: [number, number]; dataOffset: number; headerStart: number } {
  if (bytes.byteLength < 10) {
    if (!startsWithMagic(bytes))
      throw formatError('The file does not start with the .npy magic \\x93NUMPY', path);
    throw formatError(
      `The .npy file is truncated: ${bytes.byteLength} bytes, shorter than its preamble`,
      path,
    );
  }
  if (!startsWithMagic(bytes))
    throw formatError('The file does not start with the .npy magic \\x93NUMPY', path);
  const major = bytes[6] ?? 0;
  const minor = bytes[7] ?? 0;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw formatError(`Unsupported .npy format version ${major}.${minor}`, path);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) return { version: [1, 0], headerStart: 10, dataOffset: 10 + dv.getUint16(8, true) };
  if (bytes.byteLength < 12) {
    throw formatError(
      `The .npy file is truncated: ${bytes.byteLength} bytes, shorter than its preamble`,
      path,
    );
  }
  const len = dv.getUint32(8, true);
  if (len > MAX_HEADER_BYTES)
    throw formatError(`The .npy header is ${len} bytes, more than berth accepts`, path);
  return { version: [major, 0], headerStart: 12, dataOffset: 12 + len };
}

function startsWithMagic(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.byteLength, NPY_MAGIC.length);
  for (let i = 0; i < NPY_MAGIC.length; i++) {
    if (i >= n || bytes[i] !== NPY_MAGIC[i]) return false;
  }
  return true;
}

/**
 * Parses a .npy preamble and header from the file's first bytes, which must reach at least to
 * the end of the header (`dataOffset`). The data itself is not looked at.
 */
export function parseNpyHeader(prefix: Uint8Array, path?: string): NpyHeader {
  const { version, headerStart, dataOffset } = readPreamble(prefix, path);
  if (prefix.byteLength < dataOffset) {
    throw formatError(
      `The .npy file is truncated inside its header: the header ends at byte ${dataOffset}, the file at ${prefix.byteLength}`,
      path,
    );
  }
  const raw = prefix.subarray(headerStart, dataOffset);
  let text: string;
  if (version[0] === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw formatError('The .npy 3.0 header is not valid UTF-8', path);
    }
  } else {
    text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  }
  const dict = parseHeaderDict(text, path);
  const keys = [...dict.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') {
    throw formatError(
      `The .npy header has keys {${[...dict.keys()].join(', ')}}; it must have exactly descr, fortran_order and shape`,
      path,
    );
  }
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shapeLit = dict.get('shape');
  if (descr?.t !== 'str') {
    throw new BerthError(
      'BERTH_E_NPY_DTYPE',
      'The .npy descr is a structured (record) dtype, which berth does not read',
      {
        path,
        expected: 'a numeric dtype such as <f4',
      },
    );
  }
  const { dtype, byteOrder } = parseDtype(descr.v, { code: 'BERTH_E_NPY_DTYPE', path });
  if (fortran?.t !== 'bool') throw formatError('The .npy fortran_order is not True or False', path);
  if (shapeLit?.t !== 'tuple' && shapeLit?.t !== 'list')
    throw formatError('The .npy shape is not a tuple', path);
  const shape: number[] = [];
  for (const item of shapeLit.items) {
    if (item.t !== 'int' || item.v < 0n || item.v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new BerthError(
        'BERTH_E_NPY_SHAPE',
        'The .npy shape has a dimension that is not a non-negative integer',
        {
          path,
        },
      );
    }
    shape.push(Number(item.v));
  }
  const size = shapeSize(shape, { code: 'BERTH_E_NPY_SHAPE', path });
  const dataLength = size * DTYPES[dtype].itemSize;
  if (!Number.isSafeInteger(dataLength)) {
    throw new BerthError('BERTH_E_NPY_SHAPE', 'The .npy shape has too many elements', { path });
  }
  return { version, dtype, byteOrder, fortranOrder: fortran.v, shape, dataOffset, dataLength };
}

// --- the Python literal subset of .npy headers: parsed, never evaluated ----------------------

type PyLiteral =
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'tuple' | 'list'; items: PyLiteral[] }
  | { t: 'dict'; entries: [PyLiteral, PyLiteral][] };

/**
 * Parses the header dict. Accepts what Python's `ast.literal_eval` would for numpy headers:
 * single or double quotes (with `u`/`b` prefixes and backslash escapes), `True`/`False`/`None`,
 * integers (with a Python 2 `L` suffix), tuples such as `()` and `(3,)`, lists, nested dicts,
 * trailing commas and any whitespace.
 */
function parseHeaderDict(text: string, path?: string): Map<string, PyLiteral> {
  let i = 0;
  const bad = (what: string): never => {
    throw formatError(`The .npy header is not a valid dict literal: ${what} at character ${i}`, path);
  };
  const ws = (): void => {
    while (i < text.length && /[ \t\r\n\f\v]/.test(text[i] ?? '')) i++;
  };
  const value = (depth: number): PyLiteral => {
    if (depth > MAX_LITERAL_DEPTH) bad('nesting too deep');
    ws();
    const c = text[i];
    if (c === undefined) return bad('unexpected end');
    if (c === '{') {
      i++;
      const entries: [PyLiteral, PyLiteral][] = [];
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return { t: 'dict', entries };
        }
        const k = value(depth + 1);
        ws();
        if (text[i] !== ':') bad("expected ':'");
        i++;
        entries.push([k, value(depth + 1)]);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') bad("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyLiteral[] = [];
      let commas = 0;
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          // `(3)` is the integer 3 in Python, not a tuple.
          if (c === '(' && items.length === 1 && commas === 0) return items[0] as PyLiteral;
          return { t: c === '(' ? 'tuple' : 'list', items };
        }
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          commas++;
        } else if (text[i] !== close) bad(`expected ',' or '${close}'`);
      }
    }
    if (/[ubUB'"]/.test(c)) return str();
    const word = /^(True|False|None)\b/.exec(text.slice(i, i + 6));
    if (word) {
      i += word[1]!.length;
      return word[1] === 'None' ? { t: 'none' } : { t: 'bool', v: word[1] === 'True' };
    }
    const num = /^[-+]?\d+[lL]?/.exec(text.slice(i, i + 40));
    if (num && !/[\d.eEjJxX_]/.test(text[i + num[0].length] ?? '')) {
      i += num[0].length;
      return { t: 'int', v: BigInt(num[0].replace(/[lL]$/, '').replace(/^\+/, '')) };
    }
    return bad(`unexpected ${JSON.stringify(c)}`);
  };
  const str = (): PyLiteral => {
    if (/[ubUB]/.test(text[i] ?? '')) i++;
    const q = text[i];
    if (q !== "'" && q !== '"') return bad('expected a string');
    i++;
    let out = '';
    for (;;) {
      const ch = text[i++];
      if (ch === undefined || ch === '\n') return bad('unterminated string');
      if (ch === q) return { t: 'str', v: out };
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const e = text[i++];
      const simple: Record<string, string> = {
        n: '\n',
        t: '\t',
        r: '\r',
        '0': '\0',
        '\\': '\\',
        "'": "'",
        '"': '"',
      };
      if (e !== undefined && simple[e] !== undefined) out += simple[e];
      else if (e === 'x' || e === 'u') {
        const len = e === 'x' ? 2 : 4;
        const hex = text.slice(i, i + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) bad('bad escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += len;
      } else bad('bad escape');
    }
  };

  const top = value(0);
  ws();
  if (i !== text.length) bad('extra text after the dict');
  if (top.t !== 'dict') return bad('the header is not a dict');
  const map = new Map<string, PyLiteral>();
  for (const [k, v] of top.entries) {
    if (k.t !== 'str') bad('a key is not a string');
    const key = (k as { v: string }).v;
    if (map.has(key)) bad(`duplicate key '${key}'`);
    map.set(key, v);
  }
  return map;
}

// --- reading ----------------------------------------------------------------------------

/** Options of {@link decodeNpy}. */
export interface DecodeNpyOptions {
  /** The file the bytes came from, for error messages. */
  path?: string;
  /**
   * True when the caller hands `bytes` over, so big-endian data may be swapped in place.
   * Otherwise the result may alias `bytes` (little-endian, aligned, C order) but never changes it.
   */
  owned?: boolean;
}

/**
 * Decodes a whole .npy file held in memory. The array is a view on `bytes` when the data is
 * little-endian, C order and aligned in memory; otherwise it is a copy (see {@link fromBytes}).
 */
export function decodeNpy(bytes: Uint8Array, options: DecodeNpyOptions = {}): NdArray {
  const { path } = options;
  const header = parseNpyHeader(bytes, path);
  checkDataLength(header, bytes.byteLength - header.dataOffset, path);
  return finish(header, bytes.subarray(header.dataOffset), { path, owned: options.owned ?? false });
}

function checkDataLength(header: NpyHeader, have: number, path?: string): void {
  const want = header.dataLength;
  if (have === want) return;
  const what = `shape ${JSON.stringify(header.shape)} of ${header.dtype} needs ${want} bytes of data`;
  throw new BerthError(
    'BERTH_E_NPY_SHAPE',
    have < want
      ? `The .npy data is truncated: ${what}, the file has ${have}`
      : `The .npy file has data beyond its shape: ${what}, the file has ${have} (${have - want} extra)`,
    { path, expected: `${want} bytes of data after the header` },
  );
}

function finish(header: NpyHeader, data: Uint8Array, o: { path?: string; owned: boolean }): NdArray {
  const code: Code = 'BERTH_E_NPY_SHAPE';
  if (header.fortranOrder && header.shape.length > 1) {
    // The reordered buffer is ours, so the byte swap (if any) can happen in place on it.
    const c = fortranToC(data, header.shape, DTYPES[header.dtype].itemSize);
    return fromBytes(header.dtype, header.shape, c, {
      byteOrder: header.byteOrder,
      owned: true,
      code,
      path: o.path,
    });
  }
  return fromBytes(header.dtype, header.shape, data, {
    byteOrder: header.byteOrder,
    owned: o.owned,
    code,
    path: o.path,
  });
}

async function readFully(fh: FileHandle, into: Uint8Array, position: number): Promise<number> {
  // Big reads keep syscalls few; capped so one read never hogs a libuv thread for long.
  const CHUNK = 64 << 20;
  let off = 0;
  while (off < into.byteLength) {
    const { bytesRead } = await fh.read(into, off, Math.min(CHUNK, into.byteLength - off), position + off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return off;
}

async function readPrefix(fh: FileHandle, path: string, size: number): Promise<Uint8Array> {
  const first = Buffer.allocUnsafe(Math.min(size, 4096));
  const got = await readFully(fh, first, 0);
  let prefix = first.subarray(0, got);
  const { dataOffset } = readPreamble(prefix, path);
  if (dataOffset > prefix.byteLength && size > prefix.byteLength) {
    const whole = Buffer.allocUnsafe(Math.min(dataOffset, size));
    const n = await readFully(fh, whole, 0);
    prefix = whole.subarray(0, n);
  }
  return prefix;
}

/**
 * Reads only the header of a .npy file (its first few kilobytes) and checks that the file's
 * size matches the shape and dtype — for validation without reading the data.
 */
export async function readNpyHeader(path: string): Promise<NpyHeader> {
  let fh: FileHandle | undefined;
  try {
    fh = await openRegularHandle(path);
    const st = await fh.stat();
    const header = parseNpyHeader(await readPrefix(fh, path, st.size), path);
    checkDataLength(header, st.size - header.dataOffset, path);
    return header;
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path });
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Reads a .npy file into an array in C order, native byte order. The data is read once into
 * memory allocated for it (not Node's shared pool, so the typed-array view is aligned whatever
 * the header length) and is not copied again, except for Fortran-order files (see above).
 */
export async function readNpy(path: string): Promise<NdArray> {
  let fh: FileHandle | undefined;
  try {
    fh = await openRegularHandle(path);
    const st = await fh.stat();
    const header = parseNpyHeader(await readPrefix(fh, path, st.size), path);
    checkDataLength(header, st.size - header.dataOffset, path);
    const data = allocBytes(header.dataLength, { path });
    const got = await readFully(fh, data, header.dataOffset);
    checkDataLength(header, got, path); // the file shrank while being read
    return finish(header, data, { path, owned: true });
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path });
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

// --- writing ----------------------------------------------------------------------------

// numpy leaves room after the shape so the first axis can grow in place (format.py,
// GROWTH_AXIS_MAX_DIGITS); berth pads the same way so its headers match np.save byte for byte.
const GROWTH_AXIS_MAX_DIGITS = 21;

/**
 * The .npy preamble and header for an array, exactly as numpy 1.24's `np.save` writes it:
 * version 1.0 (2.0 if the header would not fit a uint16 length), little-endian C order, padded
 * with spaces so the data starts at a multiple of 64 bytes.
 */
export function encodeNpyHeader(arr: NdArray): Uint8Array {
  checkNdArray(arr, { code: 'BERTH_E_NPY_SHAPE' });
  const shape =
    arr.shape.length === 0
      ? '()'
      : arr.shape.length === 1
        ? `(${arr.shape[0]},)`
        : `(${arr.shape.join(', ')})`;
  let dict = `{'descr': '${dtypeStr(arr.dtype)}', 'fortran_order': False, 'shape': ${shape}, }`;
  if (arr.shape.length > 0)
    dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(arr.shape[0]).length));
  for (const major of [1, 2] as const) {
    const pre = major === 1 ? 10 : 12;
    const hlen = dict.length + 1;
    const pad = NPY_ALIGN - ((pre + hlen) % NPY_ALIGN);
    const total = pre + hlen + pad;
    if (major === 1 && total - pre > 0xffff) continue;
    const out = Buffer.alloc(total, 0x20);
    out.set(NPY_MAGIC, 0);
    out[6] = major;
    out[7] = 0;
    if (major === 1) out.writeUInt16LE(total - pre, 8);
    else out.writeUInt32LE(total - pre, 8);
    out.write(dict, pre, 'latin1');
    out[total - 1] = 0x0a;
    return out;
  }
  throw new BerthError('BERTH_E_NPY_SHAPE', 'The array shape is too long for a .npy header');
}

/** The whole .npy file for an array, in memory (one copy of the data). */
export function encodeNpy(arr: NdArray): Uint8Array {
  const header = encodeNpyHeader(arr);
  const out = allocBytes(header.byteLength + arr.data.byteLength);
  out.set(header, 0);
  out.set(asBytes(arr), header.byteLength);
  return out;
}

/**
 * Writes an array as a .npy file, atomically (temporary file, fsync, rename): the header, then
 * the array's own bytes with no copy. `options` go to {@link writeFileAtomic}.
 */
export async function writeNpy(path: string, arr: NdArray, options: AtomicWriteOptions = {}): Promise<void> {
  const header = encodeNpyHeader(arr);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield header;
    yield asBytes(arr);
  }
  await writeFileAtomic(path, chunks(), options);
}
