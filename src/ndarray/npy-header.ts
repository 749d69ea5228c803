/**
 * The .npy preamble and header: parsed from a file's first bytes and encoded for writing.
 *
 * Layout: the magic `\x93NUMPY`, a major and minor version byte, the header length (uint16 LE
 * for 1.0, uint32 LE for 2.0 and 3.0), then the header — a Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }` padded with spaces and ended by a
 * newline (latin-1 text; UTF-8 in 3.0) — then the raw element bytes.
 */
import { BerthError } from '../errors.js';
import { DTYPES, dtypeStr, parseDtype } from './dtype.js';
import type { ByteOrder, DtypeName } from './dtype.js';
import { checkNdArray, shapeSize } from './ndarray.js';
import type { NdArray } from './ndarray.js';
import { parsePyDict } from './npy-literal.js';

/** The 6-byte magic every .npy file starts with. */
export const NPY_MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);

/** numpy aligns the data of the files it writes to this many bytes; so does berth. */
export const NPY_ALIGN = 64;

/**
 * numpy refuses headers over 10000 bytes by default; berth allows far more but not unbounded. What
 * berth writes stays far below (at most MAX_NDIM dimensions).
 */
export const MAX_HEADER_BYTES = 1 << 20;

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

export function npyFormatError(detail: string, path?: string): BerthError {
  return new BerthError('BERTH_E_NPY_FORMAT', detail, {
    path,
    expected: 'a NumPy .npy file (format 1.0, 2.0 or 3.0)',
  });
}

/**
 * The length of the preamble plus header, from the first 12 bytes (fewer are refused as a
 * truncated file). Checks the magic and version.
 */
export function readPreamble(
  bytes: Uint8Array,
  path?: string,
): { version: [number, number]; dataOffset: number; headerStart: number } {
  if (bytes.byteLength < 10) {
    if (!startsWithMagic(bytes))
      throw npyFormatError('The file does not start with the .npy magic \\x93NUMPY', path);
    throw npyFormatError(
      `The .npy file is truncated: ${bytes.byteLength} bytes, shorter than its preamble`,
      path,
    );
  }
  if (!startsWithMagic(bytes))
    throw npyFormatError('The file does not start with the .npy magic \\x93NUMPY', path);
  const major = bytes[6] ?? 0;
  const minor = bytes[7] ?? 0;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw npyFormatError(`Unsupported .npy format version ${major}.${minor}`, path);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) return { version: [1, 0], headerStart: 10, dataOffset: 10 + dv.getUint16(8, true) };
  if (bytes.byteLength < 12) {
    throw npyFormatError(
      `The .npy file is truncated: ${bytes.byteLength} bytes, shorter than its preamble`,
      path,
    );
  }
  const len = dv.getUint32(8, true);
  if (len > MAX_HEADER_BYTES)
    throw npyFormatError(`The .npy header is ${len} bytes, more than berth accepts`, path);
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
    throw npyFormatError(
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
      throw npyFormatError('The .npy 3.0 header is not valid UTF-8', path);
    }
  } else {
    text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  }
  const dict = parsePyDict(text, (what, at) => {
    throw npyFormatError(`The .npy header is not a valid dict literal: ${what} at character ${at}`, path);
  });
  const keys = [...dict.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') {
    throw npyFormatError(
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
  if (fortran?.t !== 'bool') throw npyFormatError('The .npy fortran_order is not True or False', path);
  if (shapeLit?.t !== 'tuple' && shapeLit?.t !== 'list')
    throw npyFormatError('The .npy shape is not a tuple', path);
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

/** Checks that the data after the header is as long as the shape and dtype call for. */
export function checkDataLength(header: NpyHeader, have: number, path?: string): void {
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
