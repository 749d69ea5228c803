/**
 * msgpack document bytes checked before any library parses them, and parsed only then.
 *
 * msgpackr is fast but trusting: after a value it finds trailing bytes and builds its error
 * message with `JSON.stringify` of the whole value (a 40 MB body: 25 s and 2.4 GB); it replaces
 * invalid UTF-8 in str with U+FFFD (Python's msgpack refuses it); it turns ext types into Errors,
 * RegExps, Sets and structured-clone references; it decodes timestamps outside a Date's range into
 * wrong dates. So one iterative pass over the bytes (no recursion, no allocation beyond a stack
 * of open containers) checks the grammar berth accepts first:
 *
 * - exactly one value, a **map**, and nothing after it (the first byte is looked at first);
 * - every str valid UTF-8 (`BERTH_E_NOT_UTF8`, with the JSON pointer of the value or key);
 * - no ext type but the timestamp (−1), whose time must be one Python's `datetime` holds (years
 *   1–9999) with nanoseconds below 10⁹; no reserved byte `c1`; no length past the end;
 * - nesting at most `maxNesting` (`BERTH_E_TOO_DEEP`), so the parser's recursion stays shallow.
 *
 * Then {@link unpackCheckedMap} parses with `unpackMultiple`, which returns after the first value
 * and never serialises it into a message, and checks the end offset itself. Errors name where they
 * are (a JSON pointer) and carry no text of the document.
 */
import { isUtf8 } from 'node:buffer';
import { BerthError, boundedText, type Code } from '../errors.js';
import { pointerTo } from './case-format.js';
import { Unpackr } from 'msgpackr';

/**
 * The msgpack decoder for documents Python wrote: every map becomes a JS `Map` (msgpack-numpy's
 * keys are bin, which plain objects cannot hold), int64 values within ±2^53 become numbers and
 * larger ones BigInt, bin becomes a Buffer view on the input (copy it to keep it past the input).
 */
export const pythonUnpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: false,
  // 'auto' is implemented (unpack.js) but missing from msgpackr 2.1.3's type declarations.
  int64AsType: 'auto' as 'bigint',
});

/** One open container: entries (maps: keys and values) still to read, and where it is. */
interface Open {
  remaining: number;
  readonly map: boolean;
  /** Items read so far (arrays: the next item's index), or map slots read (keys and values). */
  read: number;
  /**
   * Maps: where the current key's bytes lie and how to read them (str UTF-8, bin latin1; −1: a
   * key of another type), decoded only when a pointer is needed.
   */
  keyAt: number;
  keyLength: number;
  keyBin: boolean;
}

/** The pointer segment of a container's current item. */
function segmentOf(bytes: Uint8Array, o: Open): string | number {
  if (!o.map) return o.read;
  if (o.keyAt < 0) return '?';
  return Buffer.from(bytes.buffer, bytes.byteOffset + o.keyAt, o.keyLength).toString(
    o.keyBin ? 'latin1' : 'utf8',
  );
}

/** The earliest and latest seconds of a timestamp berth accepts: 0001-01-01 to 9999-12-31 (UTC). */
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;

/** A JSON pointer, or how to make it: pointers are built only when something fails. */
type Where = string | (() => string);

function fail(code: Code, detail: string, where: Where, expected?: string): never {
  const path = typeof where === 'string' ? where : where();
  throw new BerthError(code, detail, { path, ...(expected === undefined ? {} : { expected }) });
}

const MAP_EXPECTED = 'a msgpack map';

/**
 * Where the item being read sits: each open container's current segment, except that a map key
 * is pointed at by its map.
 */
function here(bytes: Uint8Array, stack: readonly Open[]): string {
  let out = '';
  for (let k = 0; k < stack.length; k++) {
    const o = stack[k]!;
    if (k === stack.length - 1 && o.map && o.read % 2 === 0) break;
    out = pointerTo(out, segmentOf(bytes, o));
  }
  return out;
}

/** The msgpack type name of a first byte, for messages. */
function typeName(b: number): string {
  if (b <= 0x7f || (b >= 0xcc && b <= 0xd3) || b >= 0xe0) return 'an integer';
  if ((b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd) return 'an array';
  if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb)) return 'a str';
  if (b >= 0xc4 && b <= 0xc6) return 'bin';
  if (b === 0xc0) return 'nil';
  if (b === 0xc2 || b === 0xc3) return 'a boolean';
  if (b === 0xca || b === 0xcb) return 'a float';
  return 'an extension value';
}

function isMapByte(b: number): boolean {
  return (b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf;
}

/** Checks a timestamp ext payload (type −1) for a time Python's datetime holds. */
function checkTimestamp(data: Uint8Array, pointer: Where): void {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let seconds: number;
  let nanos = 0;
  if (data.byteLength === 4) seconds = dv.getUint32(0);
  else if (data.byteLength === 8) {
    nanos = dv.getUint32(0) >>> 2;
    seconds = (dv.getUint32(0) & 0x3) * 0x100000000 + dv.getUint32(4);
  } else if (data.byteLength === 12) {
    nanos = dv.getUint32(0);
    const big = dv.getBigInt64(4);
    seconds = big < BigInt(MIN_SECONDS) || big > BigInt(MAX_SECONDS) ? Number.NaN : Number(big);
  } else {
    fail('BERTH_E_WIRE_FORMAT', `A msgpack timestamp has ${data.byteLength} bytes`, pointer, '4, 8 or 12');
  }
  if (!(seconds >= MIN_SECONDS && seconds <= MAX_SECONDS) || nanos > 999_999_999) {
    fail(
      'BERTH_E_WIRE_FORMAT',
      nanos > 999_999_999
        ? `A msgpack timestamp has ${nanos} nanoseconds`
        : 'A msgpack timestamp lies outside the years 1 to 9999',
      pointer,
      'a timestamp of the years 1–9999 (what Python datetime holds), nanoseconds below 10^9',
    );
  }
}

/** The stack frame of a container of `count` entries (pairs, for a map) just opened. */
function openFrame(count: number, map: boolean): Open {
  return { remaining: map ? count * 2 : count, map, read: 0, keyAt: -1, keyLength: 0, keyBin: false };
}

/** Reads a big-endian unsigned length of `n` bytes at `at` (n ≤ 4). */
function lengthAt(bytes: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + bytes[at + i]!;
  return v;
}

/**
 * Checks that `bytes` hold exactly one msgpack map in the grammar berth accepts (see the module
 * comment). Throws a BerthError naming the place (a JSON pointer): `BERTH_E_VALUE_TYPE` (not a
 * map), `BERTH_E_WIRE_FORMAT`, `BERTH_E_NOT_UTF8` or `BERTH_E_TOO_DEEP`.
 */
export function scanMsgpackMap(bytes: Uint8Array, maxNesting: number): void {
  const end = bytes.byteLength;
  if (end === 0) fail('BERTH_E_WIRE_FORMAT', 'The msgpack document is empty', '', MAP_EXPECTED);
  const first = bytes[0]!;
  if (!isMapByte(first)) {
    fail(
      'BERTH_E_VALUE_TYPE',
      `The document must be a msgpack map, not ${typeName(first)} (first byte 0x${first.toString(16).padStart(2, '0')})`,
      '',
      MAP_EXPECTED,
    );
  }
  const stack: Open[] = [];
  let pos = 0;
  const pointer = (): string => here(bytes, stack);
  const need = (n: number): void => {
    if (n > end - pos)
      fail('BERTH_E_WIRE_FORMAT', 'The msgpack document ends inside a value', pointer, MAP_EXPECTED);
  };
  const open = (count: number, map: boolean): void => {
    // Every item takes at least one byte: a count beyond the rest cannot be honest.
    need(map ? count * 2 : count);
    if (stack.length >= maxNesting) {
      fail('BERTH_E_TOO_DEEP', `The document is nested deeper than ${maxNesting} levels`, pointer);
    }
    if (count > 0) stack.push(openFrame(count, map));
  };
  do {
    const top = stack[stack.length - 1];
    const isKey = top !== undefined && top.map && top.read % 2 === 0;
    const depth = stack.length;
    need(1);
    const b = bytes[pos++]!;
    let str = -1; // the length of a str payload to check, if this is a str
    let skip = 0; // payload bytes to skip
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
      // positive/negative fixint, nil, booleans: no payload
    } else if (b <= 0x8f) open(b & 0x0f, true);
    else if (b <= 0x9f) open(b & 0x0f, false);
    else if (b <= 0xbf) str = b & 0x1f;
    else if (b === 0xc4 || b === 0xc5 || b === 0xc6) {
      const n = 1 << (b - 0xc4);
      need(n);
      skip = lengthAt(bytes, pos, n);
      pos += n;
    } else if (b === 0xca) skip = 4;
    else if (b === 0xcb) skip = 8;
    else if (b >= 0xcc && b <= 0xd3) skip = 1 << ((b - 0xcc) & 3);
    else if (b === 0xd9 || b === 0xda || b === 0xdb) {
      const n = 1 << (b - 0xd9);
      need(n);
      str = lengthAt(bytes, pos, n);
      pos += n;
    } else if (b === 0xdc || b === 0xdd || b === 0xde || b === 0xdf) {
      const n = b === 0xdc || b === 0xde ? 2 : 4;
      need(n);
      const count = lengthAt(bytes, pos, n);
      pos += n;
      open(count, b >= 0xde);
    } else pos = skipExt(bytes, pos, b, pointer);
    if (isKey) top.keyAt = -1;
    pos = checkPayload(bytes, pos, b, str, skip, isKey ? top : undefined, pointer);
    // A value that opened a container is done when that container is full.
    if (stack.length === depth) finishItem(stack, top);
  } while (stack.length > 0);
  if (pos !== end) {
    fail(
      'BERTH_E_WIRE_FORMAT',
      `The msgpack document has ${end - pos} byte(s) after its map`,
      '',
      'one msgpack map and nothing after it',
    );
  }
}

/** Skips an ext value whose first byte `b` was read (pos is after it); only timestamps pass. */
function skipExt(bytes: Uint8Array, at: number, b: number, pointer: Where): number {
  let pos = at;
  const need = (n: number): void => {
    if (n > bytes.byteLength - pos)
      fail('BERTH_E_WIRE_FORMAT', 'The msgpack document ends inside a value', pointer, MAP_EXPECTED);
  };
  // fixext 1/2/4/8/16 (d4–d8) or ext 8/16/32 (c7–c9); c1 is reserved
  let size: number;
  if (b >= 0xd4 && b <= 0xd8) size = 1 << (b - 0xd4);
  else if (b >= 0xc7 && b <= 0xc9) {
    const n = 1 << (b - 0xc7);
    need(n);
    size = lengthAt(bytes, pos, n);
    pos += n;
  } else fail('BERTH_E_WIRE_FORMAT', 'The msgpack document holds the reserved byte 0xc1', pointer);
  need(1 + size);
  const type = (bytes[pos]! << 24) >> 24;
  if (type !== -1) {
    fail(
      'BERTH_E_WIRE_FORMAT',
      `The document holds a msgpack extension of type ${type}`,
      pointer,
      'no extension types but the timestamp (-1)',
    );
  }
  checkTimestamp(bytes.subarray(pos + 1, pos + 1 + size), pointer);
  return pos + 1 + size;
}

/**
 * Checks and skips the payload of the item whose first byte `b` was read: a str of `str` bytes
 * (valid UTF-8) or `skip` other bytes. When the item is a key of `keyOf`, remembers where it lies.
 * Returns the position after it.
 */
function checkPayload(
  bytes: Uint8Array,
  at: number,
  b: number,
  str: number,
  skip: number,
  keyOf: Open | undefined,
  pointer: Where,
): number {
  const length = str >= 0 ? str : skip;
  if (length > bytes.byteLength - at)
    fail('BERTH_E_WIRE_FORMAT', 'The msgpack document ends inside a value', pointer, MAP_EXPECTED);
  if (str >= 0) {
    if (!isUtf8Text(bytes, at, str)) {
      fail(
        'BERTH_E_NOT_UTF8',
        `A msgpack ${keyOf ? 'key' : 'str'} is not valid UTF-8`,
        pointer,
        'UTF-8 text',
      );
    }
    if (keyOf) setKey(keyOf, at, str, false);
  } else if (keyOf && b >= 0xc4 && b <= 0xc6) {
    // msgpack-numpy's keys are bin: name them as text in pointers.
    setKey(keyOf, at, skip, true);
  }
  return at + length;
}

function setKey(o: Open, at: number, length: number, bin: boolean): void {
  o.keyAt = at;
  o.keyLength = length;
  o.keyBin = bin;
}

/** True when `length` bytes at `at` are valid UTF-8: short ASCII in JS, the rest natively. */
function isUtf8Text(bytes: Uint8Array, at: number, length: number): boolean {
  if (length <= 32) {
    let ascii = true;
    for (let i = at; i < at + length; i++) {
      if (bytes[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return true;
  }
  return isUtf8(bytes.subarray(at, at + length));
}

/** Counts one item read into `top` (if any), and closes every container that is now full. */
function finishItem(stack: Open[], top: Open | undefined): void {
  let t = top;
  while (t !== undefined) {
    t.read++;
    t.remaining--;
    if (t.remaining > 0) return;
    stack.pop();
    t = stack[stack.length - 1];
  }
}

/**
 * Parses msgpack bytes holding one map after {@link scanMsgpackMap} has checked them. msgpackr
 * reads the first value only (`unpackMultiple` stops there and never serialises it into an error
 * message); the end offset is checked here. Maps become `Map`s, bin becomes Buffer views on
 * `bytes`. Library errors are re-thrown as `BERTH_E_WIRE_FORMAT` with bounded text.
 */
export function unpackCheckedMap(bytes: Uint8Array, maxNesting: number): unknown {
  scanMsgpackMap(bytes, maxNesting);
  let value: unknown;
  let end = -1;
  try {
    pythonUnpackr.unpackMultiple(bytes, (v: unknown, _start?: number, stop?: number) => {
      value = v;
      end = stop ?? -1;
      return false;
    });
  } catch (e) {
    fail(
      'BERTH_E_WIRE_FORMAT',
      `The bytes are not one valid msgpack value: ${boundedText(e)}`,
      '',
      MAP_EXPECTED,
    );
  }
  if (end !== bytes.byteLength) {
    fail('BERTH_E_WIRE_FORMAT', 'The msgpack document has bytes after its map', '', MAP_EXPECTED);
  }
  return value;
}
