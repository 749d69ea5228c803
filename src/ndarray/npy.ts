/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), read and written without Python. The
 * header is ./npy-header.ts (its Python literals ./npy-literal.ts), writing ./npy-write.ts; this
 * module reads, and is the one to import.
 *
 * Reading is one `read` of the data into fresh aligned memory and a typed-array view on it.
 * Only two cases copy: big-endian data is swapped in place (no copy), and Fortran-order data
 * (first index fastest) is reordered into a second buffer in C order, because berth's arrays
 * are always C order; the header's `fortran_order` is not kept.
 */
import type { FileHandle } from 'node:fs/promises';
import { toBerthError } from '../errors.js';
import type { Code } from '../errors.js';
import { openRegularHandle } from '../tree/open-regular.js';
import { DTYPES } from './dtype.js';
import { allocBytes, fortranToC, fromBytes } from './ndarray.js';
import type { NdArray } from './ndarray.js';
import { checkDataLength, parseNpyHeader, readPreamble, type NpyHeader } from './npy-header.js';

export {
  MAX_HEADER_BYTES,
  NPY_ALIGN,
  NPY_MAGIC,
  encodeNpyHeader,
  parseNpyHeader,
  type NpyHeader,
} from './npy-header.js';
export { encodeNpy, writeNpy } from './npy-write.js';

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
 * Opens a .npy file as every machine-written file is, checks its header against its size, and
 * hands both to `use`; errors become berth errors with the path, and the file is always closed.
 */
async function withNpyFile<T>(
  path: string,
  use: (fh: FileHandle, header: NpyHeader) => Promise<T>,
): Promise<T> {
  let fh: FileHandle | undefined;
  try {
    fh = await openRegularHandle(path);
    const st = await fh.stat();
    const header = parseNpyHeader(await readPrefix(fh, path, st.size), path);
    checkDataLength(header, st.size - header.dataOffset, path);
    return await use(fh, header);
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path });
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Reads only the header of a .npy file (its first few kilobytes) and checks that the file's
 * size matches the shape and dtype — for validation without reading the data.
 */
export async function readNpyHeader(path: string): Promise<NpyHeader> {
  return withNpyFile(path, async (_fh, header) => header);
}

/**
 * Reads a .npy file into an array in C order, native byte order. The data is read once into
 * memory allocated for it (not Node's shared pool, so the typed-array view is aligned whatever
 * the header length) and is not copied again, except for Fortran-order files (see above).
 */
export async function readNpy(path: string): Promise<NdArray> {
  return withNpyFile(path, async (fh, header) => {
    const data = allocBytes(header.dataLength, { path });
    const got = await readFully(fh, data, header.dataOffset);
    checkDataLength(header, got, path); // the file shrank while being read
    return finish(header, data, { path, owned: true });
  });
}
