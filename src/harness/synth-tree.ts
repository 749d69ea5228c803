/**
 * Synthetic trees: a deterministic input (or output) tree that satisfies a machine's schema, for
 * trying a machine before real data exists (`berth synth`).
 *
 * Every value is generated from the property's keywords and then written through the SDK's
 * validating writer (`writeValue`: the kinds' text forms, the file and ndarray leaf writers), so a
 * value that broke the schema would be refused rather than written. DICOM properties are written by
 * the DICOM generator (src/dicom/synth.ts) honouring modality, SOP class, transfer syntax, instance
 * counts and descriptions. The same manifest and seed give the same bytes; each property draws from
 * its own random stream (seed + property path + array indices), so adding a property changes no
 * other property's values.
 *
 * Limits, decided here:
 * - Strings: `pattern` is honoured for the common regular-expression subset (literals, escapes
 *   `\d \w \s` and their negations, classes and ranges, `.`, groups, alternation, `? * + {n,m}`,
 *   anchors). Look-arounds, back-references and `\p{…}` are not generated: such a pattern gets
 *   BERTH_E_SYNTH_UNSUPPORTED unless a plain attempt happens to match. `format` is honoured for
 *   date-time, date, time, email, uri/url/uri-reference/iri, uuid, ipv4, ipv6 and hostname.
 * - Files: real content for image/png, image/jpeg, image/gif, application/pdf, application/zip,
 *   application/dicom, application/json and text/*; random bytes for application/octet-stream and
 *   any type berth takes on trust; BERTH_E_SYNTH_UNSUPPORTED for other types berth recognises by
 *   magic bytes (it would refuse random bytes for them).
 * - DICOM: the four native transfer syntaxes only (the first of `transfer-syntax-uid` berth can
 *   write; none writable is BERTH_E_SYNTH_UNSUPPORTED). CT, MR, CR and OT have their own pixels;
 *   another modality or SOP class gets secondary-capture-like 8-bit pixels with that Modality and
 *   SOPClassUID (the file is then not a conformant instance of that IOD).
 * - Nullable properties are written too, unless `omitNullable`.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { supportedMimeTypes } from 'file-type';
import { dicomTreeCheck } from '../check/dicom.js';
import { checkTree, type TreeCheckOptions } from '../check/tree.js';
import type { MachineDefinition } from '../check/manifest.js';
import { BerthError, type Finding } from '../errors.js';
import { entryByKeyword } from '../dicom/dictionary.js';
import { prng, SOP_CLASS, synthInstances, type SeriesSpec, type SynthModality } from '../dicom/synth.js';
import { TS } from '../dicom/transfer-syntax.js';
import { UidMaker } from '../dicom/uid.js';
import { element, encodePart10, WRITABLE_TRANSFER_SYNTAXES } from '../dicom/write.js';
import type { Property, Side, ValueKeywords } from '../kinds/property.js';
import { checkNumberKeywords, checkTextKeywords } from '../kinds/value.js';
import { ndarray } from '../ndarray/ndarray.js';
import { writeValue } from '../sdk/write-value.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { safeJoin } from '../tree/safe-path.js';

/** Options of {@link synthTree}. */
export interface SynthTreeOptions {
  /** Seed of every random choice (default 1). */
  seed?: string | number;
  /** Leave out nullable properties (default false: every property is written). */
  omitNullable?: boolean;
  /** Validate the written tree with checkTree (default true). */
  validate?: boolean;
  /** Passed to checkTree (default: the DICOM checks of dicomTreeCheck()). */
  check?: TreeCheckOptions;
}

/** What {@link synthTree} wrote. */
export interface SynthTreeResult {
  readonly dir: string;
  readonly side: Side;
  /** Every file written, relative to `dir`, sorted. */
  readonly files: string[];
  /** The findings of checkTree on the result (empty when `validate: false`). */
  readonly findings: Finding[];
}

type Rand = () => number;

/** A DICOM value for the writer below: where its random stream comes from. */
interface DicomRequest {
  readonly synthDicom: string;
}

function unsupported(p: Property, message: string): BerthError {
  return new BerthError('BERTH_E_SYNTH_UNSUPPORTED', message, { property: p.path });
}

/**
 * Writes a synthetic tree for one side of a machine into `dir` (created; existing entries of the
 * same names are replaced), then validates it.
 * @throws {@link BerthError} BERTH_E_SYNTH_UNSUPPORTED when a property cannot be satisfied.
 */
export async function synthTree(
  definition: MachineDefinition,
  side: Side,
  dir: string,
  options: SynthTreeOptions = {},
): Promise<SynthTreeResult> {
  const seed = String(options.seed ?? 1);
  const props = side === 'in' ? definition.inputs : definition.outputs;
  await mkdir(dir, { recursive: true });
  const gen = new Generator(seed, options.omitNullable ?? false);
  for (const p of props) {
    if (p.nullable && gen.omitNullable) continue;
    const abs = safeJoin(dir, p.name);
    await writeValue(p, abs, gen.value(p, ''), { dicom: (q, at, v) => writeDicom(q, at, v, seed) });
  }
  const files = (await listFiles(dir)).sort();
  const findings =
    options.validate === false
      ? []
      : await checkTree(definition, side, dir, options.check ?? { dicom: dicomTreeCheck() });
  return { dir, side, files, findings };
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...(await listFiles(root, r)));
    else out.push(r);
  }
  return out;
}

class Generator {
  constructor(
    readonly seed: string,
    readonly omitNullable: boolean,
  ) {}

  private rand(p: Property, where: string): Rand {
    return prng(`${this.seed}/${p.path}/${where}`);
  }

  /** The value of `p`; `where` tells array items apart (`/0/2`). */
  value(p: Property, where: string): unknown {
    const rand = this.rand(p, where);
    switch (p.kind) {
      case 'string':
        return synthString(p, rand);
      case 'enum': {
        const values = p.enumValues ?? [];
        return values[Math.floor(rand() * values.length)];
      }
      case 'date-time':
        // Whole seconds in 2020–2024, UTC.
        return new Date(Date.UTC(2020, 0, 1) + Math.floor(rand() * 5 * 365 * 86400) * 1000);
      case 'boolean':
        return rand() < 0.5;
      case 'integer':
        return synthNumber(p, p.keywords, rand, true, [0, 100]);
      case 'number':
        return synthNumber(p, p.keywords, rand, false, [0, 100]);
      case 'percentage': {
        // Keywords are in percent; the writer takes the fraction.
        const percent = synthNumber(
          p,
          p.keywords,
          rand,
          Number.isInteger(p.keywords.multipleOf ?? 1),
          [0, 100],
        );
        return percent / 100;
      }
      case 'file':
        return synthFile(p, rand, `${this.seed}/${p.path}/${where}`);
      case 'ndarray':
        return synthNdarray(p, rand);
      case 'object':
      case 'survival': {
        const out: Record<string, unknown> = {};
        for (const m of p.properties ?? []) {
          if (m.nullable && this.omitNullable) continue;
          out[m.name] = this.value(m, where);
        }
        return out;
      }
      case 'array': {
        const { minItems, maxItems } = p.keywords;
        // At least one item whenever maxItems allows: an empty array exercises little.
        const lo = Math.max(minItems ?? 0, Math.min(1, maxItems ?? 1));
        const hi = Math.max(lo, Math.min(maxItems ?? Math.max(lo, 3), Math.max(lo, 3)));
        const count = lo + Math.floor(rand() * (hi - lo + 1));
        const item = p.items;
        if (!item) return [];
        return Array.from({ length: count }, (_, i) => this.value(item, `${where}/${i}`));
      }
      case 'dicom-image':
      case 'dicom-series':
      case 'dicom-study':
        return { synthDicom: `${p.path}/${where}` } satisfies DicomRequest;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers

/**
 * A number satisfying minimum/maximum (inclusive and exclusive) and multipleOf: a random multiple in
 * range, else the bounds and midpoint, each checked with the kinds' own keyword check.
 */
export function synthNumber(
  p: Property,
  k: ValueKeywords,
  rand: Rand,
  integer: boolean,
  defaults: [number, number],
): number {
  let lo = Math.max(k.minimum ?? -Infinity, k.exclusiveMinimum ?? -Infinity);
  let hi = Math.min(k.maximum ?? Infinity, k.exclusiveMaximum ?? Infinity);
  if (!Number.isFinite(lo) && !Number.isFinite(hi)) [lo, hi] = defaults;
  else if (!Number.isFinite(lo)) lo = hi - (defaults[1] - defaults[0]);
  else if (!Number.isFinite(hi)) hi = lo + (defaults[1] - defaults[0]);
  const candidates: number[] = [];
  const step = k.multipleOf ?? (integer ? 1 : undefined);
  if (step !== undefined && step > 0) {
    const first = Math.ceil(lo / step);
    const last = Math.floor(hi / step);
    if (last >= first) {
      const pick = first + Math.floor(rand() * (last - first + 1));
      for (const n of [pick, first, last, first + 1, last - 1]) {
        // Round away binary noise (0.1 × 3) without leaving the multiple.
        candidates.push(Number((n * step).toPrecision(12)));
      }
    }
  } else {
    const x = lo + rand() * (hi - lo);
    candidates.push(Math.round(x * 100) / 100, x, (lo + hi) / 2);
  }
  for (const c of candidates) {
    if (integer && !Number.isSafeInteger(c)) continue;
    if (!checkNumberKeywords(c, k)) return Object.is(c, -0) ? 0 : c;
  }
  throw unsupported(p, `No ${integer ? 'integer' : 'number'} satisfies the keywords of ${p.path}`);
}

// ---------------------------------------------------------------------------------------------
// Strings

const WORDS = ['synthetic', 'value', 'berth', 'sample', 'case', 'lung', 'scan', 'report', 'series', 'alpha'];

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

function words(rand: Rand, min: number, max: number): string {
  const target = min + Math.floor(rand() * (max - min + 1));
  let s = '';
  while (s.length < target) s += (s ? ' ' : '') + WORDS[Math.floor(rand() * WORDS.length)];
  s = s.slice(0, target);
  // No trailing space: a string ending in one looks like a mistake in a report.
  return s.endsWith(' ') ? `${s.slice(0, -1)}x` : s;
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
  throw unsupported(
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

// ---------------------------------------------------------------------------------------------
// Files

function pngBytes(rand: Rand): Uint8Array {
  const png = new PNG({ width: 16, height: 16 });
  const shift = Math.floor(rand() * 256);
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 16; x++) {
      const o = (y * 16 + x) * 4;
      png.data[o] = (x * 16 + shift) & 255;
      png.data[o + 1] = y * 16;
      png.data[o + 2] = 128;
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

function jpegBytes(rand: Rand): Uint8Array {
  const width = 16;
  const height = 16;
  const data = Buffer.alloc(width * height * 4);
  const shift = Math.floor(rand() * 256);
  for (let i = 0; i < width * height; i++) {
    data[i * 4] = (i + shift) & 255;
    data[i * 4 + 1] = (i * 3) & 255;
    data[i * 4 + 2] = 100;
    data[i * 4 + 3] = 255;
  }
  return jpeg.encode({ data, width, height }, 80).data;
}

/** A minimal valid PDF: one page with one line of text, with a correct cross-reference table. */
export function pdfBytes(text: string): Uint8Array {
  const safe = text.replace(/[()\\]/g, '');
  const content = `BT /F1 12 Tf 36 100 Td (${safe}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) body += `${String(o).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** A zip holding one stored (uncompressed) text file. */
function zipBytes(name: string, content: string): Uint8Array {
  const data = Buffer.from(content, 'utf8');
  const file = Buffer.from(name, 'utf8');
  const crc = zlib.crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(file.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(file.length, 28);
  const centralAt = local.length + file.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + file.length, 12);
  end.writeUInt32LE(centralAt, 16);
  return Buffer.concat([local, file, data, central, file, end]);
}

// The smallest GIF: 1 × 1, one colour.
const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=', 'base64');

function synthFile(p: Property, rand: Rand, seed: string): Uint8Array {
  const mime = (p.mimeType ?? 'application/octet-stream').toLowerCase();
  switch (mime) {
    case 'image/png':
    case 'image/x-png':
      return pngBytes(rand);
    case 'image/jpeg':
    case 'image/jpg':
    case 'image/pjpeg':
      return jpegBytes(rand);
    case 'image/gif':
      return GIF;
    case 'application/pdf':
    case 'application/x-pdf':
      return pdfBytes(`berth synthetic ${p.name}`);
    case 'application/zip':
    case 'application/x-zip-compressed':
      return zipBytes('synthetic.txt', `berth synthetic ${p.name}\n`);
    case 'application/dicom': {
      const [inst] = synthInstances({ seed, instances: 1, rows: 32, columns: 32 });
      return encodePart10(inst!.elements, { transferSyntaxUid: TS.ExplicitVRLittleEndian });
    }
    case 'application/json':
      return Buffer.from(`{"synthetic": true, "property": ${JSON.stringify(p.name)}}\n`);
  }
  if (mime.startsWith('text/')) {
    return Buffer.from(mime === 'text/csv' ? 'a,b\n1,2\n' : `berth synthetic ${p.name}\n`, 'utf8');
  }
  if (mime !== 'application/octet-stream' && (supportedMimeTypes as ReadonlySet<string>).has(mime)) {
    throw unsupported(p, `berth cannot make a ${mime} file (it only checks that type's magic bytes)`);
  }
  const bytes = new Uint8Array(64);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
  bytes[0] = 0x42; // never a recognisable magic number by accident
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// ndarrays

function synthNdarray(p: Property, rand: Rand) {
  const spec = p.ndarray ?? {};
  const dtype = spec.dtype ?? 'float32';
  const shape = (spec.shape ?? [4, 4]).map((n) => n ?? 2 + Math.floor(rand() * 3));
  const size = shape.reduce((a, b) => a * b, 1) * (dtype.startsWith('complex') ? 2 : 1);
  const values: number[] = [];
  for (let i = 0; i < size; i++) {
    const r = rand();
    if (dtype === 'bool') values.push(r < 0.5 ? 0 : 1);
    else if (dtype.startsWith('uint')) values.push(Math.floor(r * 100));
    else if (dtype.startsWith('int')) values.push(Math.floor(r * 100) - 50);
    else values.push(Math.round((r * 2 - 1) * 1000) / 1000);
  }
  return ndarray(dtype, shape, values);
}

// ---------------------------------------------------------------------------------------------
// DICOM

const GENERATORS: Readonly<Record<string, SynthModality>> = {
  [SOP_CLASS.CT]: 'CT',
  [SOP_CLASS.MR]: 'MR',
  [SOP_CLASS.CR]: 'CR',
  [SOP_CLASS.OT]: 'OT',
  [SOP_CLASS.OTMultiFrame]: 'OT',
};
const MODALITY_TAG = entryByKeyword('Modality')!.tag;

/** What the constraints of a DICOM property call for. */
interface DicomPlan {
  generator: SynthModality;
  modality: string;
  sopClassUid: string | undefined;
  transferSyntaxUid: string;
  /** Instances per series. */
  series: number[];
}

function planDicom(p: Property): DicomPlan {
  const c = p.dicom?.constraints ?? {};
  const sop = c.sopClasses?.[0];
  const declared = c.modalities?.[0];
  const byModality =
    declared && ['CT', 'MR', 'CR', 'OT'].includes(declared) ? (declared as SynthModality) : undefined;
  const generator = (sop ? GENERATORS[sop] : byModality) ?? (sop || declared ? 'OT' : 'CT');
  let transferSyntaxUid: string = TS.ExplicitVRLittleEndian;
  if (c.transferSyntaxUids?.length) {
    const writable = c.transferSyntaxUids.find((uid) => WRITABLE_TRANSFER_SYNTAXES.includes(uid));
    if (!writable) {
      throw unsupported(
        p,
        `berth writes none of the transfer syntaxes ${c.transferSyntaxUids.join(', ')} (it compresses nothing)`,
      );
    }
    transferSyntaxUid = writable;
  }
  let series: number[];
  if (p.kind === 'dicom-image') series = [1];
  else if (p.kind === 'dicom-series') series = [c.seriesRelatedInstances ?? 4];
  else if (c.studyRelatedSeries) series = [...c.studyRelatedSeries];
  else if (c.studyRelatedInstances !== undefined) {
    const n = c.studyRelatedInstances;
    series = n >= 2 ? [Math.ceil(n / 2), Math.floor(n / 2)] : [n];
  } else series = [3, 2];
  return { generator, modality: declared ?? generator, sopClassUid: sop, transferSyntaxUid, series };
}

async function writeDicom(p: Property, abs: string, value: unknown, seed: string): Promise<void> {
  const request = value as Partial<DicomRequest> | null;
  if (typeof request?.synthDicom !== 'string') {
    throw new BerthError('BERTH_E_VALUE_TYPE', `${p.path} takes a synthetic DICOM request here`, {
      property: p.path,
    });
  }
  const plan = planDicom(p);
  const streamSeed = `${seed}/${request.synthDicom}`;
  const description = p.dicom?.description ?? {};
  const studyUid = new UidMaker(streamSeed).uid('study', 0);
  for (const [seriesIndex, count] of plan.series.entries()) {
    const spec: SeriesSpec = {
      seed: streamSeed,
      modality: plan.generator,
      transferSyntaxUid: plan.transferSyntaxUid,
      instances: count,
      seriesIndex,
      studyInstanceUid: studyUid,
      rows: plan.generator === 'CT' ? 64 : 48,
      columns: plan.generator === 'CT' ? 64 : 48,
      seriesDescription:
        description.seriesDescriptionsArray?.[seriesIndex] ??
        description.seriesDescription ??
        `Synthetic ${plan.modality} series ${seriesIndex + 1}`,
      ...(plan.sopClassUid ? { sopClassUid: plan.sopClassUid } : {}),
      ...(description.studyDescription ? { studyDescription: description.studyDescription } : {}),
    };
    for (const inst of synthInstances(spec)) {
      const elements =
        plan.modality === plan.generator
          ? inst.elements
          : inst.elements.map((e) => (e.tag === MODALITY_TAG ? element('Modality', plan.modality) : e));
      const bytes = encodePart10(elements, { transferSyntaxUid: plan.transferSyntaxUid });
      const seriesUid = elements.find((e) => e.tag === 0x0020000e)!.value as string;
      const target =
        p.kind === 'dicom-image'
          ? abs
          : p.kind === 'dicom-series'
            ? safeJoin(abs, `${inst.sopInstanceUid}.dcm`)
            : safeJoin(abs, seriesUid, `${inst.sopInstanceUid}.dcm`);
      await writeFileAtomic(target, bytes);
    }
  }
}
