/**
 * The DICOM data dictionary: keyword ↔ tag ↔ VR ↔ VM for every attribute of PS3.6 Table 6-1
 * (DICOM 2024b: public and retired keywords, repeating groups such as (60xx,3000) included),
 * generated into ./generated/dictionary.ts by scripts/gen-dicom-dictionary.mjs and parsed on first
 * use. Private attributes are in no dictionary: look them up by tag (`(0029,1010)`); in implicit VR
 * files their value comes back as raw bytes (VR `UN`).
 */
import { DICTIONARY_EDITION, DICTIONARY_PATTERNS, DICTIONARY_ROWS } from './generated/dictionary.js';

/** A two-letter DICOM value representation. */
export type Vr =
  | 'AE'
  | 'AS'
  | 'AT'
  | 'CS'
  | 'DA'
  | 'DS'
  | 'DT'
  | 'FD'
  | 'FL'
  | 'IS'
  | 'LO'
  | 'LT'
  | 'OB'
  | 'OD'
  | 'OF'
  | 'OL'
  | 'OV'
  | 'OW'
  | 'PN'
  | 'SH'
  | 'SL'
  | 'SQ'
  | 'SS'
  | 'ST'
  | 'SV'
  | 'TM'
  | 'UC'
  | 'UI'
  | 'UL'
  | 'UN'
  | 'UR'
  | 'US'
  | 'UT'
  | 'UV';

/** One dictionary entry. */
export interface DictionaryEntry {
  readonly tag: number;
  readonly keyword: string;
  /**
   * The VR to use when the file does not say (implicit VR). Where PS3.6 allows several (`US or SS`,
   * `OB or OW`) this is the first, or OW where OB and OW are allowed; {@link vrs} lists them all.
   */
  readonly vr: Vr;
  /** Every VR PS3.6 allows (one for most attributes); empty for items and delimiters. */
  readonly vrs: readonly Vr[];
  /** Value multiplicity as PS3.6 writes it: `1`, `3`, `1-n`, `2-2n` … */
  readonly vm: string;
  /** Retired by the standard (still read). */
  readonly retired: boolean;
}

/** The standard edition the dictionary was generated from (see scripts/gen-dicom-dictionary.mjs). */
export const DICOM_EDITION: string = DICTIONARY_EDITION;

function parseRow(tag: number, row: string): DictionaryEntry {
  const [keyword, vrText, vm, retired] = row.split(' ') as [string, string, string, string | undefined];
  const vrs = vrText === '-' ? [] : (vrText.split('|') as Vr[]);
  const vr: Vr = vrs.length === 0 ? 'UN' : vrs.includes('OW') && vrs.includes('OB') ? 'OW' : vrs[0]!;
  return { tag, keyword, vr, vrs, vm: vm.replace(/\|/g, ' or '), retired: retired === 'R' };
}

interface Tables {
  byTag: Map<number, DictionaryEntry>;
  byKeyword: Map<string, DictionaryEntry>;
}

let tables: Tables | undefined;

/** Parses the generated rows on first use (≈5000 attributes, a few milliseconds). */
function load(): Tables {
  if (tables) return tables;
  const byTag = new Map<number, DictionaryEntry>();
  const byKeyword = new Map<string, DictionaryEntry>();
  let p = DICTIONARY_ROWS.indexOf('\n') + 1;
  while (p < DICTIONARY_ROWS.length) {
    let nl = DICTIONARY_ROWS.indexOf('\n', p);
    if (nl < 0) nl = DICTIONARY_ROWS.length;
    if (nl - p > 9) {
      const entry = parseRow(parseInt(DICTIONARY_ROWS.slice(p, p + 8), 16), DICTIONARY_ROWS.slice(p + 9, nl));
      byTag.set(entry.tag, entry);
      byKeyword.set(entry.keyword, entry);
    }
    p = nl + 1;
  }
  for (const [, value, row] of DICTIONARY_PATTERNS) {
    const entry = parseRow(value, row);
    if (!byKeyword.has(entry.keyword)) byKeyword.set(entry.keyword, entry);
  }
  tables = { byTag, byKeyword };
  return tables;
}

// Until this many lookups, each one searches the rows text (tens of microseconds) rather than
// building the tables: start-up, which looks up a handful of attributes, pays nothing for them.
const LOOKUPS_BEFORE_TABLES = 64;
let lookups = 0;

/** The row of `needle` (`\n<hex> ` or ` <Keyword> `) found by text search, before the tables exist. */
function searchRow(needle: string, keywordSearch: boolean): DictionaryEntry | undefined {
  const rows = DICTIONARY_ROWS;
  let i = rows.indexOf(needle);
  // A keyword match must be the second field: its space is 8 characters after the line's start.
  while (keywordSearch && i >= 0 && rows.charCodeAt(i - 9) !== 0x0a) i = rows.indexOf(needle, i + 1);
  if (i < 0) return undefined;
  const start = keywordSearch ? i - 8 : i + 1;
  let end = rows.indexOf('\n', start);
  if (end < 0) end = rows.length;
  return parseRow(parseInt(rows.slice(start, start + 8), 16), rows.slice(start + 9, end));
}

function patternEntry(tag: number): DictionaryEntry | undefined {
  for (const [mask, value, row] of DICTIONARY_PATTERNS) {
    if ((tag & mask) >>> 0 === value) return parseRow(tag >>> 0, row);
  }
  return undefined;
}

function patternByKeyword(keyword: string): DictionaryEntry | undefined {
  const found = DICTIONARY_PATTERNS.find(([, , row]) => row.startsWith(`${keyword} `));
  return found && parseRow(found[1], found[2]);
}

/** The dictionary entry of a tag (repeating groups such as (60xx,3000) included), if PS3.6 has it. */
export function entryByTag(tag: number): DictionaryEntry | undefined {
  if (!tables && ++lookups <= LOOKUPS_BEFORE_TABLES) {
    const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
    return searchRow(`\n${hex} `, false) ?? patternEntry(tag);
  }
  return load().byTag.get(tag) ?? patternEntry(tag);
}

/** The dictionary entry of a keyword (case-sensitive, as in PS3.6), if PS3.6 has it. */
export function entryByKeyword(keyword: string): DictionaryEntry | undefined {
  if (!tables && ++lookups <= LOOKUPS_BEFORE_TABLES) {
    if (!/^[A-Za-z0-9]+$/.test(keyword)) return undefined;
    return searchRow(` ${keyword} `, true) ?? patternByKeyword(keyword);
  }
  return load().byKeyword.get(keyword);
}

/** Every keyword the dictionary knows. */
export function keywords(): string[] {
  return [...load().byKeyword.keys()];
}

const TAG_TEXT = /^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$/;

/**
 * Resolves a keyword (`PatientName`) or a tag written `(0010,0010)`, `0010,0010`, `00100010` or
 * dicom-parser's `x00100010` to a tag number; undefined when it is neither.
 */
export function resolveTag(name: string): number | undefined {
  const entry = entryByKeyword(name);
  if (entry) return entry.tag;
  const m = TAG_TEXT.exec(name.startsWith('x') ? name.slice(1) : name);
  if (!m) return undefined;
  return ((parseInt(m[1]!, 16) << 16) | parseInt(m[2]!, 16)) >>> 0;
}

/** A tag number as `(gggg,eeee)`, upper-case hex. */
export function formatTag(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

/** True for a VR whose explicit encoding has a 4-byte length (after two reserved bytes). */
export function hasLongLength(vr: string): boolean {
  return LONG_VRS.has(vr);
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** Every valid VR, for rejecting garbage in explicit VR element headers. */
export const VRS: ReadonlySet<string> = new Set<Vr>([
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
]);
