/**
 * Synthetic strings: whole words by default, or text for a `format`, or a match of a `pattern`
 * (the regular-expression subset in harness/synth-tree.ts's module comment). The string kind's
 * `synth` loads this module lazily.
 */
import type { Property } from './property.js';
import { checkTextKeywords } from './value.js';
import { synthUnsupported, type Rand } from './synth-support.js';

export type { Rand } from './synth-support.js';

/**
 * Plain words, at least one of every length from 1 to 12 letters, so whole words fill any length
 * range (see {@link words}).
 */
const WORDS = [
  'a',
  'an',
  'of',
  'to',
  'in',
  'ct',
  'mr',
  'the',
  'and',
  'new',
  'left',
  'lung',
  'scan',
  'case',
  'note',
  'right',
  'value',
  'berth',
  'image',
  'chest',
  'sample',
  'report',
  'series',
  'normal',
  'finding',
  'lesion',
  'nodule',
  'patient',
  'marginal',
  'synthetic',
  'radiology',
  'calibrated',
  'measurement',
  'observations',
];
/** Words short enough to be followed by a one letter longer one (see {@link words}). */
const FILLERS = WORDS.filter((w) => w.length <= 10);

function hex(rand: Rand, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

function formatted(format: string, rand: Rand): string | undefined {
  const n = 1 + Math.floor(rand() * 9);
  switch (format) {
    case 'date-time':
      return `2024-0${n}-1${n}T12:3${n}:00Z`;
    case 'date':
      return `2024-0${n}-1${n}`;
    case 'time':
      return `12:3${n}:00Z`;
    case 'email':
      return `user${n}@example.com`;
    case 'uri':
    case 'url':
    case 'iri':
      return `https://example.com/case/${n}`;
    case 'uri-reference':
    case 'iri-reference':
      return `/case/${n}`;
    case 'uuid':
      return `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-a${hex(rand, 3)}-${hex(rand, 12)}`;
    case 'ipv4':
      return `10.0.0.${n}`;
    case 'ipv6':
      return `fd00::${n}`;
    case 'hostname':
      return `host${n}.example.com`;
    default:
      return undefined;
  }
}

function pick<T>(list: readonly T[], rand: Rand): T {
  return list[Math.floor(rand() * list.length)]!;
}

/**
 * Whole words separated by single spaces, `min`–`max` characters long (never a cut word, never a
 * trailing space): words are added while one fits under `max` until the length reaches a random
 * target; a last gap of one character is closed by swapping the last word for one a letter longer.
 */
export function words(rand: Rand, min: number, max: number): string {
  if (max <= 0) return '';
  const target = min + Math.floor(rand() * (max - min + 1));
  const out: string[] = [];
  let length = 0;
  while (length < Math.max(1, target)) {
    const room = max - length - (out.length > 0 ? 1 : 0);
    const fits = FILLERS.filter((w) => w.length <= room);
    if (fits.length === 0) break;
    const w = pick(fits, rand);
    length += w.length + (out.length > 0 ? 1 : 0);
    out.push(w);
  }
  if (length < min && out.length > 0) {
    const last = out.pop()!;
    const longer = WORDS.filter((w) => w.length === last.length + (min - length));
    out.push(longer.length > 0 ? pick(longer, rand) : last);
  }
  return out.join(' ');
}

/** A string satisfying minLength, maxLength, pattern (the subset above) and format. */
export function synthString(p: Property, rand: Rand): string {
  const k = p.keywords;
  const min = k.minLength ?? 0;
  const max = k.maxLength ?? Math.max(min, 24);
  for (let attempt = 0; attempt < 64; attempt++) {
    let s: string | undefined;
    if (k.format !== undefined) s = formatted(k.format, rand);
    if (s === undefined && k.pattern !== undefined) {
      try {
        s = fromPattern(k.pattern, rand, 3 + attempt * 2);
      } catch {
        s = undefined;
      }
      if (s !== undefined && [...s].length < min && !k.pattern.endsWith('$'))
        s += 'x'.repeat(min - [...s].length);
    }
    s ??= words(rand, Math.min(max, Math.max(min, 8)), Math.min(max, Math.max(min, 24)));
    if (!checkTextKeywords(s, k)) return s;
  }
  throw synthUnsupported(
    p,
    `No string found for ${p.path} that satisfies its keywords (pattern ${JSON.stringify(k.pattern ?? '')}, ` +
      `length ${min}–${k.maxLength ?? '∞'}, format ${k.format ?? 'none'})`,
  );
}

// A tiny generator for the common regular-expression subset.
type Node =
  | { t: 'alt'; options: Node[][] }
  | { t: 'chars'; set: string }
  | { t: 'repeat'; node: Node; min: number; max: number };

const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const WORD = `${LOWER}${LOWER.toUpperCase()}${DIGITS}_`;
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

class PatternParser {
  private i = 0;
  constructor(
    private readonly src: string,
    /** How many repetitions `*`, `+` and `{n,}` may add beyond their minimum. */
    private readonly spread: number,
  ) {}

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.src.length) throw new Error(`unexpected ${this.src[this.i]}`);
    return node;
  }

  private alternation(): Node {
    const options: Node[][] = [this.sequence()];
    while (this.src[this.i] === '|') {
      this.i++;
      options.push(this.sequence());
    }
    return { t: 'alt', options };
  }

  private sequence(): Node[] {
    const out: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      const c = this.src[this.i]!;
      if (c === '^' || c === '$') {
        this.i++;
        continue;
      }
      out.push(this.quantified(this.atom()));
    }
    return out;
  }

  private atom(): Node {
    const c = this.src[this.i++]!;
    if (c === '(') {
      if (this.src[this.i] === '?') {
        if (this.src[this.i + 1] !== ':') throw new Error('look-around or named group');
        this.i += 2;
      }
      const inner = this.alternation();
      if (this.src[this.i++] !== ')') throw new Error('unclosed group');
      return inner;
    }
    if (c === '[') return this.charClass();
    if (c === '.') return { t: 'chars', set: `${LOWER}${DIGITS}` };
    if (c === '\\') return { t: 'chars', set: this.escape(false) };
    if ('*+?{'.includes(c)) throw new Error('quantifier without atom');
    return { t: 'chars', set: c };
  }

  private escape(inClass: boolean): string {
    const c = this.src[this.i++];
    if (c === undefined) throw new Error('trailing backslash');
    switch (c) {
      case 'd':
        return DIGITS;
      case 'w':
        return WORD;
      case 's':
        return ' ';
      case 'D':
      case 'W':
      case 'S': {
        const excluded = c === 'D' ? DIGITS : c === 'W' ? WORD : ' \t\n\r';
        return [...PRINTABLE].filter((x) => !excluded.includes(x)).join('');
      }
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'b':
        if (inClass) return '\b';
        throw new Error('word boundary');
      default:
        if (/[0-9pPkuxc]/.test(c)) throw new Error(`escape \\${c}`);
        return c;
    }
  }

  private charClass(): Node {
    let negate = false;
    if (this.src[this.i] === '^') {
      negate = true;
      this.i++;
    }
    let set = '';
    let first = true;
    while (this.i < this.src.length && (this.src[this.i] !== ']' || first)) {
      first = false;
      let c = this.src[this.i++]!;
      if (c === '\\') {
        const e = this.escape(true);
        if (e.length > 1) {
          set += e;
          continue;
        }
        c = e;
      }
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length) {
        this.i++;
        let end = this.src[this.i++]!;
        if (end === '\\') end = this.escape(true);
        for (let code = c.charCodeAt(0); code <= end.charCodeAt(0); code++) set += String.fromCharCode(code);
      } else set += c;
    }
    if (this.src[this.i++] !== ']') throw new Error('unclosed class');
    if (negate) set = [...PRINTABLE].filter((x) => !set.includes(x)).join('');
    if (set.length === 0) throw new Error('empty class');
    return { t: 'chars', set };
  }

  private quantified(node: Node): Node {
    const c = this.src[this.i];
    let min = 1;
    let max = 1;
    if (c === '?') [min, max] = [0, 1];
    else if (c === '*') [min, max] = [0, this.spread];
    else if (c === '+') [min, max] = [1, 1 + this.spread];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return node;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] ? Number(m[3]) : min + this.spread;
      this.i += m[0].length - 1;
    } else return node;
    this.i++;
    if (this.src[this.i] === '?' || this.src[this.i] === '+') this.i++; // lazy / possessive
    return { t: 'repeat', node, min, max };
  }
}

function generate(node: Node, rand: Rand): string {
  switch (node.t) {
    case 'chars':
      return node.set[Math.floor(rand() * node.set.length)]!;
    case 'repeat': {
      const n = node.min + Math.floor(rand() * (node.max - node.min + 1));
      let s = '';
      for (let i = 0; i < n; i++) s += generate(node.node, rand);
      return s;
    }
    case 'alt': {
      const option = node.options[Math.floor(rand() * node.options.length)]!;
      return option.map((n) => generate(n, rand)).join('');
    }
  }
}

/** A string matching `pattern` (the subset in the module comment); throws for anything else. */
export function fromPattern(pattern: string, rand: Rand, spread = 3): string {
  return generate(new PatternParser(pattern, spread).parse(), rand);
}
