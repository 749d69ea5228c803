/**
 * Seeded mutations for the fuzz suites (test/support/fuzz.ts runs them): fast-check arbitraries
 * that describe edits, and pure functions that apply them to a valid input, so that fast-check's
 * seed replays a run and its shrinking finds the fewest edits that still fail.
 *
 * Bytes get bit flips, byte and integer overwrites with boundary values, truncations, insertions,
 * deletions and duplications; a target can name "hot spots" (a DICOM length field, a VR) that get
 * boundary values more often than a uniform position would. Text gets the same at the level of
 * characters, tokens of YAML, JSON and Dockerfile syntax, and lines.
 */
import fc from 'fast-check';

/** Lengths and counts near the edges of 8-, 16- and 32-bit fields. */
export const BOUNDARY_INTS = [
  0, 1, 2, 7, 8, 0x7f, 0x80, 0xfe, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x10000, 0x7fffffff,
  0x80000000, 0xfffffffe, 0xffffffff,
] as const;

/** Where in the input an edit applies: a fraction of its length, so an edit fits any input. */
const at = fc.integer({ min: 0, max: 0xffff });

/** A field a target knows about: `width` bytes at `offset`, and byte strings that suit it. */
export interface HotSpot {
  readonly offset: number;
  readonly width: number;
  /** Values to write there besides the boundary integers (e.g. other VRs for a VR field). */
  readonly values?: readonly Uint8Array[];
}

/** One edit of a byte string. */
export type ByteEdit =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'int'; at: number; width: 1 | 2 | 4; value: number; little: boolean }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; length: number }
  | { op: 'duplicate'; at: number; length: number; to: number }
  | { op: 'token'; at: number; token: number }
  | { op: 'hot'; spot: number; value: number; choice: number; little: boolean };

/** What a target knows about its inputs, for edits that a uniform choice would rarely make. */
export interface ByteHints {
  /** Fields that get boundary values (only with `byteEdits(…, true)`). */
  readonly hotSpots?: readonly HotSpot[];
  /** Byte strings worth inserting (a msgpack array32 header with a huge count, a JSON `"`). */
  readonly tokens?: readonly Uint8Array[];
}

const boundary = fc.constantFrom(...BOUNDARY_INTS);

/** An arbitrary byte edit; `hot` edits only when the input has hot spots. */
export function byteEdit(withHotSpots: boolean): fc.Arbitrary<ByteEdit> {
  const edits: fc.Arbitrary<ByteEdit>[] = [
    fc.record({ op: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({
      op: fc.constant('set' as const),
      at,
      value: fc.oneof(fc.integer({ min: 0, max: 255 }), boundary),
    }),
    fc.record({
      op: fc.constant('int' as const),
      at,
      width: fc.constantFrom(1 as const, 2 as const, 4 as const),
      value: boundary,
      little: fc.boolean(),
    }),
    fc.record({ op: fc.constant('truncate' as const), at }),
    fc.record({
      op: fc.constant('insert' as const),
      at,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    }),
    fc.record({ op: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ op: fc.constant('token' as const), at, token: fc.nat() }),
    fc.record({
      op: fc.constant('duplicate' as const),
      at,
      length: fc.integer({ min: 1, max: 256 }),
      to: at,
    }),
  ];
  if (withHotSpots) {
    const hot = fc.record({
      op: fc.constant('hot' as const),
      spot: at,
      value: boundary,
      choice: fc.nat(),
      little: fc.boolean(),
    });
    // Hot spots are where parsers trust the input: give them as much weight as all other edits.
    return fc.oneof({ arbitrary: fc.oneof(...edits), weight: 1 }, { arbitrary: hot, weight: 1 });
  }
  return fc.oneof(...edits);
}

/** One to `max` byte edits. */
export function byteEdits(max = 4, withHotSpots = false): fc.Arbitrary<ByteEdit[]> {
  return fc.array(byteEdit(withHotSpots), { minLength: 1, maxLength: max });
}

function place(fraction: number, length: number): number {
  return length === 0 ? 0 : Math.floor((fraction / 0x10000) * length);
}

function writeInt(b: Uint8Array, offset: number, width: number, value: number, little: boolean): void {
  for (let i = 0; i < width && offset + i < b.length; i++) {
    const byte = Math.floor(value / 2 ** (8 * i)) & 0xff;
    b[offset + (little ? i : width - 1 - i)] = byte;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

/** Applies `edits` in order to a copy of `base`; hot spots are offsets into `base`. */
export function applyByteEdits(
  base: Uint8Array,
  edits: readonly ByteEdit[],
  hints: ByteHints = {},
): Uint8Array {
  const { hotSpots = [], tokens = [] } = hints;
  let b: Uint8Array = Uint8Array.from(base);
  for (const e of edits) {
    const i = 'at' in e ? place(e.at, b.length) : 0;
    switch (e.op) {
      case 'flip':
        if (b.length > 0) b[i] = b[i]! ^ (1 << e.bit);
        break;
      case 'set':
        if (b.length > 0) b[i] = e.value & 0xff;
        break;
      case 'int':
        writeInt(b, i, e.width, e.value, e.little);
        break;
      case 'truncate':
        b = b.slice(0, i);
        break;
      case 'insert':
        b = concat(b.subarray(0, i), e.bytes, b.subarray(i));
        break;
      case 'delete':
        b = concat(b.subarray(0, i), b.subarray(i + e.length));
        break;
      case 'token':
        if (tokens.length > 0) b = concat(b.subarray(0, i), tokens[e.token % tokens.length]!, b.subarray(i));
        break;
      case 'duplicate': {
        const j = place(e.to, b.length);
        b = concat(b.subarray(0, j), b.slice(i, i + e.length), b.subarray(j));
        break;
      }
      case 'hot': {
        const spot = hotSpots[place(e.spot, hotSpots.length)];
        if (!spot || spot.offset >= b.length) break;
        const values = spot.values ?? [];
        const pick = e.choice % (values.length + 1);
        if (pick < values.length) b.set(values[pick]!.subarray(0, b.length - spot.offset), spot.offset);
        else writeInt(b, spot.offset, spot.width, e.value, e.little);
        break;
      }
      default: {
        const never: never = e;
        throw new Error(`unknown edit ${JSON.stringify(never)}`);
      }
    }
  }
  return b;
}

/** Tokens that change what YAML, JSON or a Dockerfile means, for text edits. */
export const SYNTAX_TOKENS = [
  ...['{', '}', '[', ']', ',', ':', ': ', '- ', '? ', '"', "'", '\\', '#', '|', '>', '|-', '>+'],
  ...['&a ', '*a', '<<: *a', '!!binary ', '!!str ', '!!set ', '!!js/function ', '!<tag:x> ', '%YAML 1.1\n'],
  ...['---\n', '...\n', '\t', '\n', '\r\n', '\r', '  ', '\u0000', '\ufeff', '\u2028', '\u0085'],
  ...['~', 'null', 'true', 'no', '1e999', '-.inf', '.nan', '0x1F', '0o17', '-0', '2001-12-14t21:59:43Z'],
  ...['__proto__', 'constructor', 'prototype', '"\\u0000"', '"\\ud800"', '\\u00e9', 'é', '🙂', 'σς'],
  ...['LABEL ', 'com.envoyai.schema-in=', 'com.envoyai.metadata-version=2 ', '\\\n', '${X}', '$X'],
  ...['ARG X=1\n', 'FROM scratch\n', '# escape=`\n', '`', '=', '""', "''", '\\"'],
] as const;

/** One edit of a text. */
export type TextEdit =
  | { op: 'char'; at: number; text: string }
  | { op: 'token'; at: number; token: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'truncate'; at: number }
  | { op: 'line'; at: number; action: 'delete' | 'duplicate' | 'indent' | 'dedent'; to: number };

/** An arbitrary text edit. */
export const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({
    op: fc.constant('char' as const),
    at,
    text: fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
  }),
  fc.record({ op: fc.constant('token' as const), at, token: fc.nat({ max: SYNTAX_TOKENS.length - 1 }) }),
  fc.record({ op: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ op: fc.constant('truncate' as const), at }),
  fc.record({
    op: fc.constant('line' as const),
    at,
    action: fc.constantFrom('delete' as const, 'duplicate' as const, 'indent' as const, 'dedent' as const),
    to: at,
  }),
);

/** One to `max` text edits. */
export function textEdits(max = 4): fc.Arbitrary<TextEdit[]> {
  return fc.array(textEdit, { minLength: 1, maxLength: max });
}

function editLine(text: string, e: Extract<TextEdit, { op: 'line' }>): string {
  const lines = text.split('\n');
  const i = place(e.at, lines.length);
  const line = lines[i] ?? '';
  if (e.action === 'delete') lines.splice(i, 1);
  else if (e.action === 'duplicate') lines.splice(place(e.to, lines.length), 0, line);
  else if (e.action === 'indent') lines[i] = `  ${line}`;
  else lines[i] = line.replace(/^\s{1,2}/, '');
  return lines.join('\n');
}

/** Applies `edits` in order to `base`. */
export function applyTextEdits(base: string, edits: readonly TextEdit[]): string {
  let t = base;
  for (const e of edits) {
    const i = 'at' in e ? place(e.at, t.length) : 0;
    switch (e.op) {
      case 'char':
        t = t.slice(0, i) + e.text + t.slice(i + 1);
        break;
      case 'token':
        t = t.slice(0, i) + SYNTAX_TOKENS[e.token]! + t.slice(i);
        break;
      case 'delete':
        t = t.slice(0, i) + t.slice(i + e.length);
        break;
      case 'truncate':
        t = t.slice(0, i);
        break;
      case 'line':
        t = editLine(t, e);
        break;
      default: {
        const never: never = e;
        throw new Error(`unknown edit ${JSON.stringify(never)}`);
      }
    }
  }
  return t;
}
