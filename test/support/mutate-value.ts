/**
 * Structural mutations of a decoded document (JSON values, or msgpack values with `Map`s and
 * bins), for fuzz targets whose byte mutations mostly stop at the parser: a node is replaced by an
 * arbitrary value, removed, copied over another, renamed, or edited in place — its text with text
 * edits, its bytes (a bin, or a base64 string decoded first) with byte edits, its number with a
 * boundary value. The edited value is encoded again by the caller, so the decoder behind the
 * parser sees well-formed documents with hostile values.
 */
import fc from 'fast-check';
import {
  applyByteEdits,
  applyTextEdits,
  byteEdits,
  textEdits,
  type ByteEdit,
  type ByteHints,
  type TextEdit,
} from './mutate.js';

/** One edit of a value tree; `at` picks a node (modulo the number of nodes). */
export type ValueEdit =
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'remove'; at: number }
  | { op: 'copy'; at: number; to: number }
  | { op: 'rename'; at: number; key: unknown }
  | { op: 'text'; at: number; edits: TextEdit[] }
  | { op: 'bytes'; at: number; edits: ByteEdit[] }
  | { op: 'number'; at: number; value: number | bigint };

const NUMBERS = [0, -0, -1, 0.5, 1e308, -1e308, 2 ** 53 + 2, 4294967296, 2 ** 63, NaN, Infinity];

/** Edits whose replacement values and keys come from `values` and `keys`. */
export function valueEdits(
  values: fc.Arbitrary<unknown>,
  keys: fc.Arbitrary<unknown>,
  max = 3,
): fc.Arbitrary<ValueEdit[]> {
  const at = fc.nat();
  const edit: fc.Arbitrary<ValueEdit> = fc.oneof(
    fc.record({ op: fc.constant('replace' as const), at, value: values }),
    fc.record({ op: fc.constant('remove' as const), at }),
    fc.record({ op: fc.constant('copy' as const), at, to: at }),
    fc.record({ op: fc.constant('rename' as const), at, key: keys }),
    fc.record({ op: fc.constant('text' as const), at, edits: textEdits(3) }),
    fc.record({ op: fc.constant('bytes' as const), at, edits: byteEdits(3, true) }),
    fc.record({
      op: fc.constant('number' as const),
      at,
      value: fc.oneof(fc.constantFrom(...NUMBERS), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n })),
    }),
  );
  return fc.array(edit, { minLength: 1, maxLength: max });
}

/** A place in the tree: its parent (an object, array or Map) and its key there. */
interface Slot {
  readonly parent: Record<string, unknown> | unknown[] | Map<unknown, unknown>;
  readonly key: unknown;
}

function get(s: Slot): unknown {
  const p = s.parent;
  if (p instanceof Map) return p.get(s.key);
  return (p as Record<string, unknown>)[s.key as string];
}

function set(s: Slot, v: unknown): void {
  const p = s.parent;
  if (p instanceof Map) p.set(s.key, v);
  else (p as Record<string, unknown>)[s.key as string] = v;
}

function remove(s: Slot): void {
  const p = s.parent;
  if (p instanceof Map) p.delete(s.key);
  else if (Array.isArray(p)) p.splice(s.key as number, 1);
  else delete p[s.key as string];
}

function rename(s: Slot, key: unknown): void {
  const v = get(s);
  remove(s);
  if (s.parent instanceof Map) s.parent.set(key, v);
  else if (!Array.isArray(s.parent)) s.parent[String(key)] = v;
}

/** Every slot of the tree under `holder[0]`, depth first, at most `limit`. */
function slotsOf(holder: unknown[], limit = 4000): Slot[] {
  const out: Slot[] = [{ parent: holder, key: 0 }];
  for (let i = 0; i < out.length && out.length < limit; i++) {
    const v = get(out[i]!);
    if (v instanceof Map) for (const k of v.keys()) out.push({ parent: v, key: k });
    else if (Array.isArray(v)) v.forEach((_, k) => out.push({ parent: v, key: k }));
    else if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !(v instanceof Date)) {
      for (const k of Object.keys(v)) out.push({ parent: v as Record<string, unknown>, key: k });
    }
  }
  return out;
}

const BASE64 = /^[A-Za-z0-9+/]{16,}={0,2}$/;

function editBytes(v: unknown, edits: readonly ByteEdit[], hints: ByteHints): unknown {
  if (v instanceof Uint8Array) return applyByteEdits(v, edits, hints);
  if (typeof v === 'string' && BASE64.test(v)) {
    return Buffer.from(applyByteEdits(Buffer.from(v, 'base64'), edits, hints)).toString('base64');
  }
  return v;
}

/**
 * Applies `edits` to a copy of `doc` (structuredClone: Maps, bins and Dates survive); `hints` go
 * to the byte edits of bins and base64 text (a DICOM file inside a document).
 */
export function applyValueEdits(doc: unknown, edits: readonly ValueEdit[], hints: ByteHints = {}): unknown {
  const holder = [structuredClone(doc)];
  for (const e of edits) {
    const slots = slotsOf(holder);
    const s = slots[e.at % slots.length]!;
    const v = get(s);
    switch (e.op) {
      case 'replace':
        set(s, e.value);
        break;
      case 'remove':
        if (s.parent !== holder) remove(s);
        break;
      case 'copy':
        set(slots[e.to % slots.length]!, structuredClone(v));
        break;
      case 'rename':
        if (s.parent !== holder) rename(s, e.key);
        break;
      case 'text':
        if (typeof v === 'string') set(s, applyTextEdits(v, e.edits));
        break;
      case 'bytes':
        set(s, editBytes(v, e.edits, hints));
        break;
      case 'number':
        if (typeof v === 'number' || typeof v === 'bigint') set(s, e.value);
        break;
      default: {
        const never: never = e;
        throw new Error(`unknown edit ${JSON.stringify(never)}`);
      }
    }
  }
  return holder[0];
}
