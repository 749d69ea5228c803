/**
 * The text of a berth LABEL before decoding: label names and document keys, the one unescape
 * (see ./label-value.ts), where a value came from, and reading it as JSON within the nesting bound.
 */
import { BerthError } from '../errors.js';
import {
  EXTENSION_KEYS,
  EXTENSION_LABEL_PREFIX,
  LABEL_PREFIX,
  type JsonValue,
  type LineLookup,
} from './document.js';
import { MAX_NESTING } from './yaml-text.js';

/** Where a label value came from, for messages and line numbers. */
export interface LabelValueWhere {
  /** The file (Dockerfile, inspect JSON) the label was read from. */
  path: string;
  /** 1-based line of the label's name, where known. */
  line?: number;
  /**
   * 1-based source line of every UTF-16 unit of the label text, where known (Dockerfile LABELs):
   * lets berth map a line of a YAML value back to the Dockerfile line it was written on.
   */
  lines?: readonly number[];
}

/** A decoded label value and the source lines of the nodes inside it. */
export interface DecodedLabelValue {
  value: JsonValue;
  /** Line of a path inside this value (not including the label's own key). */
  lineOf: LineLookup;
}

/** The document key of a berth-relevant label name, or undefined for any other label. */
export function documentKeyOf(labelName: string): string | undefined {
  if (labelName.startsWith(LABEL_PREFIX)) return labelName.slice(LABEL_PREFIX.length);
  if (labelName.startsWith(EXTENSION_LABEL_PREFIX)) {
    const key = labelName.slice(EXTENSION_LABEL_PREFIX.length);
    return (EXTENSION_KEYS as readonly string[]).includes(key) ? key : undefined;
  }
  return undefined;
}

/** The LABEL name berth writes for a document key: `org.berth.<key>` for extensions, else `com.envoyai.<key>`. */
export function labelNameOf(key: string): string {
  return (EXTENSION_KEYS as readonly string[]).includes(key)
    ? EXTENSION_LABEL_PREFIX + key
    : LABEL_PREFIX + key;
}

/**
 * Turns the escaped form of a YAML label value into the YAML text: `\n` → newline, `\\` → `\`,
 * read left to right; any other backslash (and a final lone one) is kept. Text that already holds
 * a real newline is returned unchanged (it was not written in the `\n\` style).
 */
export function unescapeLabelText(text: string): string {
  return unescapeWithLineStarts(text).text;
}

/**
 * The inverse of {@link unescapeLabelText} for text without `\r`-free guarantees: newlines become
 * `\n`, and a backslash is doubled only where the unescape would otherwise consume it (before
 * another backslash, an `n`, or a newline). So `^\d+$` stays readable as `^\d+$`.
 */
export function escapeLabelText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') out += '\\n';
    else if (c === '\\') {
      const next = text[i + 1];
      out += next === '\\' || next === 'n' || next === '\n' ? '\\\\' : '\\';
    } else out += c;
  }
  return out;
}

/** The unescaped text and, for each of its lines, the index in the original text where it starts. */
export function unescapeWithLineStarts(text: string): { text: string; lineStarts: number[] } {
  const lineStarts = [0];
  if (text.includes('\n')) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
    return { text, lineStarts };
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      const next = text[i + 1];
      if (next === 'n') {
        out += '\n';
        i++;
        lineStarts.push(i + 1);
        continue;
      }
      if (next === '\\') {
        out += '\\';
        i++;
        continue;
      }
    }
    out += c;
  }
  return { text: out, lineStarts };
}

/** The text as JSON (nesting bounded), or undefined when it is not JSON. */
export function tryJson(text: string, where: LabelValueWhere, key: string): { value: JsonValue } | undefined {
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
  checkDepth(value, where, key);
  return { value };
}

/** Refuses values nested deeper than {@link MAX_NESTING}, without recursion. */
export function checkDepth(value: JsonValue, where: LabelValueWhere, key: string): void {
  const stack: Array<[JsonValue, number]> = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, depth] = item;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_NESTING) {
      throw new BerthError('BERTH_E_TOO_DEEP', `Nesting deeper than ${MAX_NESTING} levels`, {
        path: where.path,
        property: key,
        expected: `at most ${MAX_NESTING} levels`,
      });
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
}
