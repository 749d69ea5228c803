/**
 * Text in the character sets of SpecificCharacterSet (0008,0005), PS3.3 C.12.1.1.2 and PS3.5 6.1.
 *
 * Single-byte sets without code extensions (ISO_IR 100 … 203, ISO_IR 13, ISO_IR 166) and the
 * multi-byte ones (ISO_IR 192 UTF-8, GB18030, GBK) decode a value whole. ISO 2022 code extensions
 * (`ISO 2022 IR …`) switch sets by escape sequences inside a value: the bytes are split at each
 * escape sequence and each run is decoded by the set it designates — G0 (bytes below 0x80:
 * ASCII, JIS X 0201 romaji, JIS X 0208, JIS X 0212) or G1 (bytes from 0x80: the ISO 8859 parts,
 * JIS X 0201 katakana, KS X 1001, GB 2312). The state returns to the value's initial sets after
 * each delimiter (`\`, CR, LF, FF, TAB; and `^` `=` in person names), as PS3.5 6.1.2.5.3 says, so
 * each PN component group is decoded with its own sets.
 *
 * Decoders are the WHATWG ones of Node's ICU. Where WHATWG maps an ISO 8859 label to a Windows
 * code page (8859-9 → windows-1254, TIS 620 → windows-874) only the C1 range 0x80–0x9F differs,
 * which DICOM text never uses. A term berth does not know decodes as Latin-1, as before.
 */
import { TextDecoder } from 'node:util';

/** Decodes the bytes of one text value. */
export interface Charset {
  decode(b: Buffer, start: number, end: number, vr: string): string;
}

type Decode = (bytes: Uint8Array) => string;

const decoders = new Map<string, TextDecoder>();
function whatwg(label: string): Decode {
  return (bytes) => {
    let d = decoders.get(label);
    if (!d) decoders.set(label, (d = new TextDecoder(label)));
    return d.decode(bytes);
  };
}
const latin1: Decode = (bytes) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/** The decoder of each single-byte or whole-value term (no code extensions). */
const SINGLE: Record<string, Decode> = {
  '': latin1,
  ISO_IR_6: latin1,
  ISO_IR_100: latin1,
  ISO_IR_101: whatwg('iso-8859-2'),
  ISO_IR_109: whatwg('iso-8859-3'),
  ISO_IR_110: whatwg('iso-8859-4'),
  ISO_IR_144: whatwg('iso-8859-5'),
  ISO_IR_127: whatwg('iso-8859-6'),
  ISO_IR_126: whatwg('iso-8859-7'),
  ISO_IR_138: whatwg('iso-8859-8'),
  ISO_IR_148: whatwg('iso-8859-9'),
  ISO_IR_203: whatwg('iso-8859-15'),
  ISO_IR_166: whatwg('windows-874'),
  ISO_IR_13: whatwg('shift_jis'),
  ISO_IR_192: whatwg('utf-8'),
  GB18030: whatwg('gb18030'),
  GBK: whatwg('gbk'),
};

/** A graphic set an escape sequence designates. */
interface GSet {
  /** 0 for G0 (bytes below 0x80), 1 for G1 (bytes from 0x80). */
  readonly g: 0 | 1;
  readonly decode: Decode;
}

const eucJp = whatwg('euc-jp');
/** JIS X 0208 in G0: two 7-bit bytes each, which EUC-JP writes with the high bits set. */
const jisX0208: Decode = (bytes) => eucJp(bytes.map((x) => x | 0x80));
/** JIS X 0212 in G0: EUC-JP writes each two-byte character after 0x8F. */
const jisX0212: Decode = (bytes) => {
  const out: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) out.push(0x8f, bytes[i]! | 0x80, bytes[i + 1]! | 0x80);
  return eucJp(Uint8Array.from(out));
};

/** Escape sequences (the bytes after ESC) and the set each designates. */
const ESCAPES: ReadonlyMap<string, GSet> = new Map<string, GSet>([
  ['(B', { g: 0, decode: latin1 }], // ASCII
  ['(J', { g: 0, decode: latin1 }], // JIS X 0201 romaji
  [')I', { g: 1, decode: whatwg('shift_jis') }], // JIS X 0201 katakana
  ['$B', { g: 0, decode: jisX0208 }],
  ['$(D', { g: 0, decode: jisX0212 }],
  ['$)C', { g: 1, decode: whatwg('euc-kr') }], // KS X 1001
  ['$)A', { g: 1, decode: whatwg('gbk') }], // GB 2312
  ['-A', { g: 1, decode: latin1 }],
  ['-B', { g: 1, decode: SINGLE.ISO_IR_101! }],
  ['-C', { g: 1, decode: SINGLE.ISO_IR_109! }],
  ['-D', { g: 1, decode: SINGLE.ISO_IR_110! }],
  ['-L', { g: 1, decode: SINGLE.ISO_IR_144! }],
  ['-G', { g: 1, decode: SINGLE.ISO_IR_127! }],
  ['-F', { g: 1, decode: SINGLE.ISO_IR_126! }],
  ['-H', { g: 1, decode: SINGLE.ISO_IR_138! }],
  ['-M', { g: 1, decode: SINGLE.ISO_IR_148! }],
  ['-b', { g: 1, decode: SINGLE.ISO_IR_203! }],
  ['-T', { g: 1, decode: SINGLE.ISO_IR_166! }],
]);

/** The initial G0 and G1 sets of each ISO 2022 term (the first term of the value sets them). */
const INITIAL: Record<string, [string | undefined, string | undefined]> = {
  ISO_2022_IR_6: ['(B', undefined],
  ISO_2022_IR_13: ['(J', ')I'],
  ISO_2022_IR_87: ['(B', undefined],
  ISO_2022_IR_159: ['(B', undefined],
  ISO_2022_IR_149: ['(B', '$)C'],
  ISO_2022_IR_58: ['(B', '$)A'],
  ISO_2022_IR_100: ['(B', '-A'],
  ISO_2022_IR_101: ['(B', '-B'],
  ISO_2022_IR_109: ['(B', '-C'],
  ISO_2022_IR_110: ['(B', '-D'],
  ISO_2022_IR_144: ['(B', '-L'],
  ISO_2022_IR_127: ['(B', '-G'],
  ISO_2022_IR_126: ['(B', '-F'],
  ISO_2022_IR_138: ['(B', '-H'],
  ISO_2022_IR_148: ['(B', '-M'],
  ISO_2022_IR_203: ['(B', '-b'],
  ISO_2022_IR_166: ['(B', '-T'],
};

const TEXT_VRS_WITH_CHARSET = new Set(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);
const ESC = 0x1b;

function key(term: string): string {
  return term.trim().replace(/ /g, '_');
}

/** The bytes after an ESC that form one known escape sequence, or undefined. */
function escapeAt(b: Buffer, p: number, end: number): string | undefined {
  for (const n of [2, 3]) {
    if (p + 1 + n > end) break;
    const seq = b.toString('latin1', p + 1, p + 1 + n);
    if (ESCAPES.has(seq)) return seq;
  }
  return undefined;
}

class Iso2022 implements Charset {
  constructor(
    private readonly g0: GSet,
    private readonly g1: GSet | undefined,
  ) {}

  decode(b: Buffer, start: number, end: number, vr: string): string {
    const pn = vr === 'PN';
    let g0 = this.g0;
    let g1 = this.g1;
    let out = '';
    let run = start;
    const flush = (to: number): void => {
      if (to > run) out += decodeRun(b.subarray(run, to), g0, g1);
    };
    for (let p = start; p < end; p++) {
      const c = b[p]!;
      if (c === ESC) {
        const seq = escapeAt(b, p, end);
        if (seq === undefined) continue;
        flush(p);
        const set = ESCAPES.get(seq)!;
        if (set.g === 0) g0 = set;
        else g1 = set;
        p += seq.length;
        run = p + 1;
      } else if (
        g0.decode === latin1 &&
        (c === 0x5c ||
          c === 0x0d ||
          c === 0x0a ||
          c === 0x0c ||
          c === 0x09 ||
          (pn && (c === 0x5e || c === 0x3d)))
      ) {
        // A delimiter: written as ASCII, then back to the initial sets.
        flush(p);
        out += String.fromCharCode(c);
        g0 = this.g0;
        g1 = this.g1;
        run = p + 1;
      }
    }
    flush(end);
    return out;
  }
}

/** Decodes a run with one pair of sets: G0 bytes below 0x80, G1 bytes from 0x80. */
function decodeRun(bytes: Uint8Array, g0: GSet, g1: GSet | undefined): string {
  if (g0.decode === latin1) return (g1 ?? g0).decode(bytes); // G1 decoders are ASCII below 0x80
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const high = bytes[i]! >= 0x80;
    let j = i;
    while (j < bytes.length && bytes[j]! >= 0x80 === high) j++;
    out += (high ? (g1 ?? { decode: latin1 }) : g0).decode(bytes.subarray(i, j));
    i = j;
  }
  return out;
}

class Whole implements Charset {
  constructor(private readonly d: Decode) {}
  decode(b: Buffer, start: number, end: number): string {
    return this.d(b.subarray(start, end));
  }
}

/**
 * The charset of a SpecificCharacterSet value (its raw text, terms separated by `\`); undefined
 * for the default repertoire and plain Latin-1, which callers decode as Latin-1 without it.
 */
export function charsetOf(specificCharacterSet: string | undefined): Charset | undefined {
  if (specificCharacterSet === undefined) return undefined;
  const terms = specificCharacterSet.split('\\').map(key);
  const first = terms[0] ?? '';
  const iso2022 = terms.some((t) => t.startsWith('ISO_2022'));
  if (!iso2022) {
    if (first === '' || first === 'ISO_IR_6' || first === 'ISO_IR_100') return undefined;
    const d = SINGLE[first];
    return d ? new Whole(d) : undefined;
  }
  const [g0, g1] = INITIAL[first] ?? ['(B', undefined];
  return new Iso2022(ESCAPES.get(g0!)!, g1 === undefined ? undefined : ESCAPES.get(g1));
}

/** True for the VRs whose text SpecificCharacterSet applies to (PS3.5 6.1.2.3). */
export function usesCharset(vr: string): boolean {
  return TEXT_VRS_WITH_CHARSET.has(vr);
}
