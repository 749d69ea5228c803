/**
 * `pattern` keywords, run in linear time.
 *
 * A manifest's `pattern` is an ECMA-262 regular expression (Unicode mode, unanchored), but client
 * values are never matched with JavaScript's backtracking engine: `^(a+)+$` against 27 `a`s and a
 * `!` takes seconds there, on the gateway's event loop. Patterns run on re2js (a pure JavaScript
 * port of RE2: time linear in the text, whatever the pattern) after a translation of the
 * ECMAScript syntax into RE2's, so that the patterns both engines accept mean the same:
 *
 * - `.` is "anything but a line terminator" (`\n`, `\r`, U+2028, U+2029), as in ECMAScript;
 * - `\s` / `\S` are ECMAScript's white space (U+00A0, U+FEFF, the Zs spaces, …), not RE2's ASCII set;
 * - `\uXXXX`, `\u{…}` (surrogate pairs joined), `\cX`, `\0`, `[\b]`, `[]` and `[^]` are rewritten;
 * - `\p{Script=Greek}` / `\p{sc=Greek}` / `\p{gc=Lu}` become RE2's `\p{Greek}` / `\p{Lu}`.
 *
 * What RE2 cannot run in linear time is refused when the manifest is checked, with
 * `BERTH_E_PATTERN_UNSUPPORTED`: back-references (`\1`, `\k<name>`), look-around (`(?=`, `(?!`,
 * `(?<=`, `(?<!`), repeat counts above 1000, `\S` inside a negated class, and Unicode property
 * names RE2 does not know (long names such as `\p{Letter}`: use `\p{L}`).
 */
import { createRequire } from 'node:module';
import type { RE2JS as Re2Engine } from 're2js';
import type { Code } from '../errors.js';

let engine: typeof Re2Engine | undefined;

/** re2js, loaded on first use: it costs 35–60 ms, which commands without patterns need not pay. */
function re2(): typeof Re2Engine {
  engine ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof Re2Engine }).RE2JS;
  return engine;
}

/** A pattern ready to test texts, or why it cannot be used. */
export type CompiledPattern =
  { ok: true; test(text: string): boolean } | { ok: false; code: Code; reason: string; expected: string };

/** ECMAScript's WhiteSpace and LineTerminator code points, as RE2 class items. */
const SPACE =
  '\\t\\n\\v\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}';
/** What ECMAScript's `.` does not match without the `s` flag. */
const LINE_TERMINATORS = '\\n\\r\\x{2028}\\x{2029}';
const ANY = '\\x{0}-\\x{10ffff}';

/** Compiled patterns by source; manifests hold few, so the cache is small and simply cleared. */
const cache = new Map<string, CompiledPattern>();
const CACHE_LIMIT = 512;

class Unsupported extends Error {}

/**
 * Compiles a `pattern` keyword: ECMAScript syntax (checked by `RegExp` with the `u` flag, never
 * run), matched by RE2. Invalid ECMAScript gives `BERTH_E_PATTERN_INVALID`; valid ECMAScript RE2
 * cannot run in linear time gives `BERTH_E_PATTERN_UNSUPPORTED`.
 */
export function compilePattern(pattern: string): CompiledPattern {
  const known = cache.get(pattern);
  if (known) return known;
  const compiled = compileUncached(pattern);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

function compileUncached(pattern: string): CompiledPattern {
  try {
    // Compiling is linear; only matching backtracks. This checks the syntax the manifest promises.
    new RegExp(pattern, 'u');
  } catch (e) {
    return {
      ok: false,
      code: 'BERTH_E_PATTERN_INVALID',
      reason: `pattern does not compile: ${(e as Error).message}`,
      expected: 'an ECMA-262 regular expression',
    };
  }
  const unsupported = (why: string): CompiledPattern => ({
    ok: false,
    code: 'BERTH_E_PATTERN_UNSUPPORTED',
    reason: `pattern cannot be matched in linear time: ${why}`,
    expected: 'a pattern without back-references or look-around, repeat counts ≤ 1000',
  });
  let translated: string;
  try {
    translated = toRe2(pattern);
  } catch (e) {
    if (e instanceof Unsupported) return unsupported(e.message);
    throw e;
  }
  try {
    const re = re2().compile(translated);
    return { ok: true, test: (text) => re.test(text) };
  } catch (e) {
    return unsupported((e as Error).message);
  }
}

/** Rewrites ECMAScript (Unicode mode) syntax into RE2 syntax of the same meaning. */
function toRe2(p: string): string {
  let out = '';
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      const e = escape(p, i, false);
      out += e.text;
      i = e.next;
    } else if (c === '[') {
      const k = charClass(p, i);
      out += k.text;
      i = k.next;
    } else if (c === '.') {
      out += `[^${LINE_TERMINATORS}]`;
      i++;
    } else {
      if (c === '(' && p[i + 1] === '?') {
        const look = /^\(\?(=|!|<=|<!)/.exec(p.slice(i, i + 4));
        if (look) throw new Unsupported(`look-around "${look[0]}" at character ${i}`);
      }
      out += c;
      i++;
    }
  }
  return out;
}

/** One escape at `p[i] === '\\'`: its RE2 text (class items when `inClass`) and where it ends. */
function escape(p: string, i: number, inClass: boolean): { text: string; next: number; nonSpace?: true } {
  const c = p[i + 1] ?? '';
  switch (c) {
    case 's':
      return { text: inClass ? SPACE : `[${SPACE}]`, next: i + 2 };
    case 'S':
      return inClass ? { text: '', next: i + 2, nonSpace: true } : { text: `[^${SPACE}]`, next: i + 2 };
    case 'b':
      return { text: inClass ? '\\x{8}' : '\\b', next: i + 2 };
    case '0':
      return { text: '\\x{0}', next: i + 2 };
    case 'c':
      return { text: hex(p.charCodeAt(i + 2) % 32), next: i + 3 };
    case 'x':
      return { text: hex(parseInt(p.slice(i + 2, i + 4), 16)), next: i + 4 };
    case 'u':
      return unicodeEscape(p, i);
    case 'k':
      throw new Unsupported(`back-reference "\\k<…>" at character ${i}`);
    case 'p':
    case 'P':
      return propertyEscape(p, i);
    default:
      if (c >= '1' && c <= '9') throw new Unsupported(`back-reference "\\${c}" at character ${i}`);
      // \d \D \w \W \B \f \n \r \t \v and escaped syntax characters mean the same in RE2.
      return { text: `\\${c}`, next: i + 2 };
  }
}

function hex(code: number): string {
  return `\\x{${code.toString(16)}}`;
}

/** `\uXXXX`, a surrogate pair of them, or `\u{…}`. */
function unicodeEscape(p: string, i: number): { text: string; next: number } {
  if (p[i + 2] === '{') {
    const close = p.indexOf('}', i + 3);
    return { text: hex(parseInt(p.slice(i + 3, close), 16)), next: close + 1 };
  }
  const unit = parseInt(p.slice(i + 2, i + 6), 16);
  if (unit >= 0xd800 && unit <= 0xdbff && /^\\u[dD][c-fC-F][0-9a-fA-F]{2}/.test(p.slice(i + 6, i + 12))) {
    const low = parseInt(p.slice(i + 8, i + 12), 16);
    return { text: hex(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)), next: i + 12 };
  }
  return { text: hex(unit), next: i + 6 };
}

/** `\p{…}` / `\P{…}`: `Script=X`, `sc=X`, `General_Category=X` and `gc=X` become RE2's `\p{X}`. */
function propertyEscape(p: string, i: number): { text: string; next: number } {
  const close = p.indexOf('}', i + 3);
  const body = p.slice(i + 3, close);
  const eq = body.indexOf('=');
  let name = body;
  if (eq >= 0) {
    const key = body.slice(0, eq);
    if (!['Script', 'sc', 'General_Category', 'gc'].includes(key)) {
      throw new Unsupported(`Unicode property "${key}" at character ${i}`);
    }
    name = body.slice(eq + 1);
  }
  return { text: `\\${p[i + 1]}{${name}}`, next: close + 1 };
}

/** A class `[…]` at `p[i]`: in Unicode mode classes do not nest and `]` inside is always escaped. */
function charClass(p: string, i: number): { text: string; next: number } {
  const negated = p[i + 1] === '^';
  let j = negated ? i + 2 : i + 1;
  let body = '';
  let nonSpace = false;
  while (p[j] !== ']') {
    if (p[j] === '\\') {
      const e = escape(p, j, true);
      body += e.text;
      nonSpace ||= e.nonSpace === true;
      j = e.next;
    } else {
      // RE2 reads `[:` as the start of a POSIX class; ECMAScript means the characters.
      body += p[j] === '[' ? '\\[' : p[j];
      j++;
    }
  }
  const next = j + 1;
  if (nonSpace) {
    if (negated) throw new Unsupported(`"\\S" inside a negated class at character ${i}`);
    return { text: body === '' ? `[^${SPACE}]` : `(?:[${body}]|[^${SPACE}])`, next };
  }
  if (body === '') return { text: negated ? `[${ANY}]` : `[^${ANY}]`, next };
  return { text: `[${negated ? '^' : ''}${body}]`, next };
}
