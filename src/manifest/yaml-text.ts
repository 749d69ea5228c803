import {
  LineCounter,
  parseDocument,
  isAlias,
  isCollection,
  isScalar,
  isPair,
  visit,
  type Document,
  type Node,
} from 'yaml';
import { BerthError } from '../errors.js';
import { setOwn, type JsonValue, type LineLookup } from './document.js';

/** Aliases beyond this many make the document suspect (billion-laughs style expansion). */
const MAX_ALIAS_COUNT = 100;

/** Deeper nesting than this is refused before the parser recurses into it. */
export const MAX_NESTING = 256;

/** A parsed YAML (or JSON, a subset of YAML) text with its line lookup. */
export interface ParsedText {
  value: JsonValue;
  lineOf: LineLookup;
}

/**
 * Parses YAML text to plain JSON values, with line numbers for every node.
 *
 * Uses the `yaml` package (not js-yaml) because it reports node positions, which findings need,
 * and it bounds alias expansion, which hostile manifests need.
 */
export function parseYamlText(text: string, where: { path: string; lineOffset?: number }): ParsedText {
  const offset = where.lineOffset ?? 0;
  checkNestingDepth(text, where.path);
  const lineCounter = new LineCounter();
  let doc;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  } catch (e) {
    throw tooDeepOr(e, where.path);
  }
  const firstError = doc.errors[0];
  if (firstError) {
    const line = firstError.linePos?.[0]?.line ?? lineCounter.linePos(firstError.pos[0]).line;
    throw new BerthError(
      'BERTH_E_YAML_SYNTAX',
      `The text is not valid YAML: ${firstLine(firstError.message)}`,
      {
        path: where.path,
        ...(line === undefined ? {} : { line: line + offset }),
        expected: 'a YAML mapping',
      },
    );
  }
  checkKeys(doc, lineCounter, where.path, offset);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/alias/i.test(message)) {
      throw new BerthError('BERTH_E_YAML_ALIAS_LIMIT', undefined, {
        path: where.path,
        expected: `at most ${MAX_ALIAS_COUNT} alias expansions`,
      });
    }
    throw tooDeepOr(e, where.path);
  }
  const json = toJsonValue(value, where.path);
  const lineOf: LineLookup = (path) => {
    let node: unknown = doc.contents;
    let last: Node | undefined = isNode(node) ? node : undefined;
    for (const seg of path) {
      if (!isCollection(node)) break;
      const pair = node.items.find((it) =>
        isPair(it) ? isScalar(it.key) && String(it.key.value) === String(seg) : false,
      );
      if (pair && isPair(pair)) {
        last = (isNode(pair.key) ? pair.key : last) as Node | undefined;
        node = pair.value;
        continue;
      }
      const index = typeof seg === 'number' ? seg : Number(seg);
      const item = Number.isInteger(index) ? node.items[index] : undefined;
      if (item === undefined || isPair(item)) break;
      node = item;
      last = isNode(item) ? item : last;
    }
    const start = last?.range?.[0];
    return start === undefined ? undefined : lineCounter.linePos(start).line + offset;
  };
  return { value: json, lineOf };
}

/**
 * Refuses a mapping key that is not a name: a collection (`? [a, b]`), binary (`!!binary`) or an
 * alias of one. The parser would turn it into text such as `"[ a, b ]"` and print a process warning.
 */
function checkKeys(doc: Document, lineCounter: LineCounter, path: string, offset: number): void {
  visit(doc, {
    Pair(_, pair) {
      const key = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
      if (key === null || key === undefined) return;
      const value: unknown = isScalar(key) ? key.value : key;
      if (value === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof value)) return;
      const start = isNode(pair.key) ? pair.key.range?.[0] : undefined;
      throw new BerthError('BERTH_E_YAML_SYNTAX', 'A mapping key is a collection or binary data', {
        path,
        ...(start === undefined ? {} : { line: lineCounter.linePos(start).line + offset }),
        expected: 'names (text, numbers or booleans) as mapping keys',
      });
    },
  });
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && 'range' in v;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function tooDeepOr(e: unknown, path: string): BerthError {
  if (e instanceof RangeError) {
    return new BerthError('BERTH_E_TOO_DEEP', undefined, { path, expected: `at most ${MAX_NESTING} levels` });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new BerthError('BERTH_E_YAML_SYNTAX', `The text is not valid YAML: ${firstLine(message)}`, { path });
}

/**
 * Refuses flow-style nesting deeper than {@link MAX_NESTING} in one linear pass, before a
 * recursive parser can exhaust the stack on it. Block nesting is bounded by indentation and
 * checked after parsing.
 */
function checkNestingDepth(text: string, path: string): void {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== undefined) {
      if (c === 0x5c /* \ */ && quote === '"') i++;
      else if (text[i] === quote) quote = undefined;
      continue;
    }
    if (c === 0x22 || c === 0x27) {
      // A quote starts a string only at the start of a scalar; inside plain text it is literal.
      const prev = i === 0 ? ' ' : text[i - 1];
      if (prev === undefined || /[\s[{,:]/.test(prev)) quote = text[i];
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_NESTING) {
        throw new BerthError('BERTH_E_TOO_DEEP', `Nesting deeper than ${MAX_NESTING} levels`, {
          path,
          expected: `at most ${MAX_NESTING} levels`,
        });
      }
    } else if (c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    } else if (c === 0x23 /* # */ && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    }
  }
}

/** Converts parser output to JSON values: dates to ISO text, no undefined, bounded depth. */
function toJsonValue(v: unknown, path: string, depth = 0): JsonValue {
  if (depth > MAX_NESTING) {
    throw new BerthError('BERTH_E_TOO_DEEP', `Nesting deeper than ${MAX_NESTING} levels`, { path });
  }
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => toJsonValue(x, path, depth + 1));
  if (v instanceof Map) {
    const o: { [k: string]: JsonValue } = {};
    for (const [k, x] of v) setOwn(o, String(k), toJsonValue(x, path, depth + 1));
    return o;
  }
  if (typeof v === 'object') {
    const o: { [k: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) setOwn(o, k, toJsonValue(x, path, depth + 1));
    return o;
  }
  return String(v);
}
