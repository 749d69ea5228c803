/**
 * The element types berth supports for n-dimensional arrays, and numpy's ways of naming them.
 *
 * berth keeps every array in native (little-endian) byte order in memory, so a dtype here is
 * only the element type; the byte order of bytes coming from a file or the wire travels
 * separately as {@link ByteOrder}. Every JavaScript engine berth runs on (x86-64, arm64) is
 * little-endian, which is what makes a typed-array view on little-endian bytes correct.
 */
import { BerthError } from '../errors.js';
import type { Code, ErrorDetails } from '../errors.js';

/**
 * The canonical names of the supported element types: numpy's `str(dtype)` for native arrays.
 * The one list of them: the ndarray kind's `dtype` keyword takes exactly these.
 */
export const DTYPE_NAMES = [
  'bool',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'float16',
  'float32',
  'float64',
  'complex64',
  'complex128',
] as const;

/** One of {@link DTYPE_NAMES}. */
export type DtypeName = (typeof DTYPE_NAMES)[number];

/**
 * The typed array holding each dtype's elements.
 *
 * float16 is kept as raw IEEE half bits (see {@link float16ToNumber}); complex types as
 * interleaved real, imaginary pairs (so the array has two entries per element); bool as one
 * byte per element, 0 or 1, like numpy.
 */
export interface DtypeStorage {
  bool: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  float16: Uint16Array;
  float32: Float32Array;
  float64: Float64Array;
  complex64: Float32Array;
  complex128: Float64Array;
}

/** Any of the typed arrays in {@link DtypeStorage}. */
export type TypedArray = DtypeStorage[DtypeName];

/** numpy's kind character: bool, signed, unsigned, float, complex. */
export type DtypeKind = 'b' | 'i' | 'u' | 'f' | 'c';

/** The byte order of serialised bytes. */
export type ByteOrder = 'little' | 'big';

/** A constructor of one of the storage typed arrays, reduced to what berth calls. */
export interface TypedArrayConstructor<T extends TypedArray> {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** Everything berth knows about one dtype. */
export interface DtypeInfo<D extends DtypeName = DtypeName> {
  /** The canonical name, as numpy's `str(dtype)` prints a native array's dtype. */
  readonly name: D;
  /** numpy's `dtype.str` in little-endian form (`|b1`, `<f4`, `<c16`). */
  readonly str: string;
  readonly kind: DtypeKind;
  /** Bytes per element (a complex element counts both parts). */
  readonly itemSize: number;
  /** Typed-array entries per element: 2 for complex types, 1 otherwise. */
  readonly lanes: 1 | 2;
  /** Bytes per typed-array entry, the unit of byte swapping and of alignment. */
  readonly laneSize: 1 | 2 | 4 | 8;
  readonly storage: TypedArrayConstructor<DtypeStorage[D]>;
}

function info<D extends DtypeName>(
  name: D,
  kind: DtypeKind,
  itemSize: number,
  storage: TypedArrayConstructor<DtypeStorage[D]>,
): DtypeInfo<D> {
  const lanes = kind === 'c' ? 2 : 1;
  const laneSize = (itemSize / lanes) as 1 | 2 | 4 | 8;
  const order = itemSize === 1 ? '|' : '<';
  return { name, str: `${order}${kind}${itemSize}`, kind, itemSize, lanes, laneSize, storage };
}

/** The dtype table, keyed by canonical name. */
export const DTYPES: { readonly [D in DtypeName]: DtypeInfo<D> } = {
  bool: info('bool', 'b', 1, Uint8Array),
  int8: info('int8', 'i', 1, Int8Array),
  int16: info('int16', 'i', 2, Int16Array),
  int32: info('int32', 'i', 4, Int32Array),
  int64: info('int64', 'i', 8, BigInt64Array),
  uint8: info('uint8', 'u', 1, Uint8Array),
  uint16: info('uint16', 'u', 2, Uint16Array),
  uint32: info('uint32', 'u', 4, Uint32Array),
  uint64: info('uint64', 'u', 8, BigUint64Array),
  float16: info('float16', 'f', 2, Uint16Array),
  float32: info('float32', 'f', 4, Float32Array),
  float64: info('float64', 'f', 8, Float64Array),
  complex64: info('complex64', 'c', 8, Float32Array),
  complex128: info('complex128', 'c', 16, Float64Array),
};

/** The table entry for a dtype name. */
export function dtypeInfo<D extends DtypeName>(name: D): DtypeInfo<D> {
  return DTYPES[name];
}

/** True when `value` is one of the supported canonical dtype names. */
export function isDtypeName(value: unknown): value is DtypeName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, value);
}

/** numpy's `dtype.str` for a dtype in the given byte order (`>i4`; one-byte types always `|`). */
export function dtypeStr(name: DtypeName, byteOrder: ByteOrder = 'little'): string {
  const d = DTYPES[name];
  if (d.itemSize === 1) return d.str;
  return `${byteOrder === 'big' ? '>' : '<'}${d.kind}${d.itemSize}`;
}

/** A dtype text parsed: the element type and the byte order the bytes are in. */
export interface ParsedDtype {
  dtype: DtypeName;
  byteOrder: ByteOrder;
}

/** Why a dtype text was refused. `object` and `structured` are the unsafe ones (pickles, records). */
export type DtypeRefusalReason =
  'object' | 'structured' | 'string' | 'datetime' | 'void' | 'unsupported' | 'malformed';

/** The outcome of {@link classifyDtype}. */
export type DtypeClassification =
  ({ ok: true } & ParsedDtype) | { ok: false; reason: DtypeRefusalReason; detail: string };

// Name forms numpy 1.24 accepts for the supported types, plus the generic Python names.
const NAME_ALIASES: Readonly<Record<string, DtypeName>> = {
  bool: 'bool',
  bool_: 'bool',
  bool8: 'bool',
  int8: 'int8',
  byte: 'int8',
  int16: 'int16',
  short: 'int16',
  int32: 'int32',
  intc: 'int32',
  int64: 'int64',
  int: 'int64',
  int_: 'int64',
  int0: 'int64',
  intp: 'int64',
  long: 'int64',
  longlong: 'int64',
  uint8: 'uint8',
  ubyte: 'uint8',
  uint16: 'uint16',
  ushort: 'uint16',
  uint32: 'uint32',
  uintc: 'uint32',
  uint64: 'uint64',
  uint: 'uint64',
  uint0: 'uint64',
  uintp: 'uint64',
  ulonglong: 'uint64',
  float16: 'float16',
  half: 'float16',
  float32: 'float32',
  single: 'float32',
  float64: 'float64',
  float: 'float64',
  float_: 'float64',
  double: 'float64',
  complex64: 'complex64',
  csingle: 'complex64',
  singlecomplex: 'complex64',
  complex128: 'complex128',
  complex: 'complex128',
  complex_: 'complex128',
  cdouble: 'complex128',
  cfloat: 'complex128',
};

// numpy's one-character type codes (x86-64 Linux sizes: 'l' is 8 bytes).
const CHAR_CODES: Readonly<Record<string, DtypeName>> = {
  '?': 'bool',
  b: 'int8',
  B: 'uint8',
  h: 'int16',
  H: 'uint16',
  i: 'int32',
  I: 'uint32',
  l: 'int64',
  L: 'uint64',
  q: 'int64',
  Q: 'uint64',
  p: 'int64',
  P: 'uint64',
  e: 'float16',
  f: 'float32',
  d: 'float64',
  F: 'complex64',
  D: 'complex128',
};

const KIND_SIZE: Readonly<Record<string, DtypeName>> = {
  b1: 'bool',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  c8: 'complex64',
  c16: 'complex128',
};

function refuse(reason: DtypeRefusalReason, detail: string): DtypeClassification {
  return { ok: false, reason, detail };
}

/**
 * Parses a dtype the way numpy's `np.dtype(text)` would, for the types berth supports, without
 * throwing: numpy's str form with any byte-order character (`<f4`, `>i4`, `=f8`, `|u1`),
 * kind+size codes (`f8`), one-character codes (`d`, `?`) and names (`float64`, `bool_`).
 * A one-byte type always reports little byte order (it has none).
 */
export function classifyDtype(text: string): DtypeClassification {
  const t = text.trim();
  if (t === '') return refuse('malformed', 'the dtype is empty');
  if (t.startsWith('[') || t.startsWith('(') || t.startsWith('{')) {
    return refuse('structured', `structured dtype ${JSON.stringify(text)}`);
  }
  const alias = NAME_ALIASES[t];
  if (alias !== undefined) return { ok: true, dtype: alias, byteOrder: 'little' };
  if (/^(object|object_|O)$/.test(t)) return refuse('object', `object dtype ${JSON.stringify(text)}`);
  if (/^(str|str_|unicode|unicode_|bytes|bytes_|string_)$/.test(t)) {
    return refuse('string', `string dtype ${JSON.stringify(text)}`);
  }
  if (/^(datetime64|timedelta64)(\[\w+\])?$/.test(t)) {
    return refuse('datetime', `datetime dtype ${JSON.stringify(text)}`);
  }
  if (/^(void|V\d*)$/.test(t)) return refuse('void', `void dtype ${JSON.stringify(text)}`);
  if (/^(float128|longdouble|longfloat|complex256|clongdouble|clongfloat|float96|complex192)$/.test(t)) {
    return refuse('unsupported', `extended-precision dtype ${JSON.stringify(text)}`);
  }

  const m = /^([<>=|!]?)([A-Za-z?])(\d*)(\[\w+\])?$/.exec(t);
  if (m === null) return refuse('malformed', `${JSON.stringify(text)} is not a numpy dtype`);
  const [, order = '', code = '', size = '', unit] = m;
  const byteOrder: ByteOrder = order === '>' || order === '!' ? 'big' : 'little';
  switch (code) {
    case 'O':
      return refuse('object', `object dtype ${JSON.stringify(text)}`);
    case 'U':
    case 'S':
    case 'a':
      return refuse('string', `string dtype ${JSON.stringify(text)}`);
    case 'M':
    case 'm':
      return refuse('datetime', `datetime dtype ${JSON.stringify(text)}`);
    case 'V':
      return refuse('void', `void (raw record) dtype ${JSON.stringify(text)}`);
  }
  if (unit !== undefined) return refuse('malformed', `${JSON.stringify(text)} is not a numpy dtype`);
  const dtype = size === '' ? CHAR_CODES[code] : KIND_SIZE[code + size];
  if (dtype === undefined) {
    const known = size === '' ? false : /^[biufc]$/.test(code);
    return known
      ? refuse('unsupported', `dtype ${JSON.stringify(text)} is not one berth supports`)
      : refuse('malformed', `${JSON.stringify(text)} is not a numpy dtype`);
  }
  return { ok: true, dtype, byteOrder: DTYPES[dtype].itemSize === 1 ? 'little' : byteOrder };
}

/** Options of {@link parseDtype}: which codes to throw, and where the dtype came from. */
export interface ParseDtypeOptions extends Pick<ErrorDetails, 'path' | 'property'> {
  /** Code for unsupported or malformed dtypes (default `BERTH_E_NPY_DTYPE`). */
  code?: Code;
  /** Code for object and structured dtypes (default: the same as `code`). */
  unsafeCode?: Code;
}

const EXPECTED_DTYPES =
  'one of bool, int8..int64, uint8..uint64, float16, float32, float64, complex64, complex128 ' +
  "(numpy name or str form such as '<f4')";

/**
 * Parses a dtype text as {@link classifyDtype} does, throwing a {@link BerthError} on refusal.
 * Object, string, datetime and structured dtypes are refused: berth never unpickles and keeps
 * only numeric arrays.
 */
export function parseDtype(text: string, options: ParseDtypeOptions = {}): ParsedDtype {
  const c = classifyDtype(text);
  if (c.ok) return { dtype: c.dtype, byteOrder: c.byteOrder };
  const code = options.code ?? 'BERTH_E_NPY_DTYPE';
  const unsafe = c.reason === 'object' || c.reason === 'structured' || c.reason === 'void';
  throw new BerthError(unsafe ? (options.unsafeCode ?? code) : code, `Unsupported dtype: ${c.detail}`, {
    path: options.path,
    property: options.property,
    expected: EXPECTED_DTYPES,
  });
}

// --- float16 -----------------------------------------------------------------------------

/** The value of IEEE 754 half-precision bits (as stored in a float16 array's Uint16Array). */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The IEEE 754 half-precision bits nearest to a number, rounding to nearest even like numpy's
 * `np.float16(x)`: overflow gives infinity, NaN gives numpy's quiet NaN `0x7e00`.
 */
export function numberToFloat16(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a === Infinity) return sign | 0x7c00;
  // Rounds straight from float64 (going through float32 first would round twice). Below the
  // smallest normal, 2^-14, the quantum stays 2^-24: those are the subnormals.
  let e = a >= 2 ** -14 ? exponentOf(a) : -14;
  const n = a / 2 ** (e - 10); // exact: a division by a power of two
  let m = Math.floor(n);
  const rem = n - m;
  if (rem > 0.5 || (rem === 0.5 && m % 2 === 1)) m += 1;
  if (m === 2048) {
    m = 1024;
    e += 1;
  }
  if (e > 15) return sign | 0x7c00;
  if (m < 1024) return sign | m;
  return sign | ((e + 15) << 10) | (m - 1024);
}

function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  return e;
}
