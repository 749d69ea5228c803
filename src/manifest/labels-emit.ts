/**
 * Writes a manifest document as Dockerfile LABEL instructions (`berth labels`), in the EnvoyAI
 * style: one instruction per key, YAML values written over several lines with `\n\` endings.
 *
 * The contract is the round trip: Docker's lexer (see `dockerfile.ts`) followed by berth's label
 * decoding (see `label-value.ts`) gives back exactly the document. Every value is written in the
 * most readable form that keeps it, tried in order and checked by reading the written text back
 * with berth's own Dockerfile reader:
 * 1. block YAML (YAML 1.1-safe quoting, so PyYAML-style readers agree on `yes`, `012`, ...), with
 *    literal block scalars for multi-line strings;
 * 2. block YAML with multi-line strings double-quoted (a block scalar line that starts with `#`
 *    would be dropped by Docker as a comment line);
 * 3. YAML 1.2 quoting;
 * 4. JSON on one line (always exact).
 * `dicom-tags` that is a list of plain keywords is written as one keyword per line (given as text,
 * it is first read as its list of lines, which is what it reads back as).
 *
 * Escaping, inside the double-quoted LABEL value: `"` and `$` always get the escape character
 * (Docker would otherwise end the quote or expand a variable); the escape character itself is
 * doubled only where Docker's lexer would consume it (before `"`, `$`, itself, or the closing
 * quote); a backslash of the YAML text is doubled only where berth's unescape would consume it.
 * Non-ASCII text is written as is (UTF-8). Physical lines are kept under a few thousand
 * characters with plain continuations, far below Docker's 64 KiB line limit.
 */
import {
  stringify,
  type ToStringOptions,
  type DocumentOptions,
  type SchemaOptions,
  type CreateNodeOptions,
} from 'yaml';
import { BerthError } from '../errors.js';
import { EXTENSION_KEYS, LABEL_KEYS, type JsonObject, type JsonValue } from './document.js';
import { type EscapeToken } from './dockerfile-scan.js';
import { loadDockerfileLabels } from './dockerfile.js';
import { decodeLabelValue, labelNameOf, sameJson } from './label-value.js';

/** Options of {@link emitLabels}. */
export interface EmitLabelsOptions {
  /**
   * The Dockerfile's escape character: `\` (default) or `` ` `` for files that start with the
   * `# escape=`` ` directive (the lines must then be pasted into such a file).
   */
  escape?: EscapeToken;
}

/** Physical lines longer than this are split with plain continuations. */
const WRAP_AT = 4000;

type YamlOptions = DocumentOptions & SchemaOptions & CreateNodeOptions & ToStringOptions;

/** Stable stringify options: no folding, no anchors, no directives, block collections. */
const YAML_BASE: YamlOptions = {
  indent: 2,
  indentSeq: true,
  lineWidth: 0,
  minContentWidth: 0,
  aliasDuplicateObjects: false,
  directives: false,
  simpleKeys: false,
  doubleQuotedMinMultiLineLength: Number.MAX_SAFE_INTEGER,
};

const YAML_VARIANTS: readonly YamlOptions[] = [
  { ...YAML_BASE, version: '1.1', blockQuote: 'literal' },
  { ...YAML_BASE, version: '1.1', blockQuote: false },
  { ...YAML_BASE, version: '1.2', blockQuote: false },
];

/** A label value to write: the escaped label text, cut where the `\n\` line breaks go. */
type Segments = string[];

/**
 * The Dockerfile LABEL lines for a manifest document: one instruction per key, the EnvoyAI keys
 * in the order of LABEL_KEYS, then berth's extension keys (`org.berth.<key>`), then any other key
 * (`com.envoyai.<key>`, for the validator to report) in document order. Ends with a newline.
 *
 * @throws BerthError BERTH_E_MANIFEST_UNKNOWN_KEY for a key that cannot be a LABEL name,
 *   BERTH_E_LABEL_VALUE for a value no form can carry (not expected for JSON values).
 */
export function emitLabels(document: JsonObject, opts: EmitLabelsOptions = {}): string {
  const escape = opts.escape ?? '\\';
  const known = new Set<string>([...LABEL_KEYS, ...EXTENSION_KEYS]);
  const keys = [
    ...LABEL_KEYS.filter((k) => Object.hasOwn(document, k)),
    ...EXTENSION_KEYS.filter((k) => Object.hasOwn(document, k)),
    ...Object.keys(document).filter((k) => !known.has(k)),
  ];
  return keys.map((key) => emitLabel(key, document[key] ?? null, escape)).join('');
}

/**
 * One LABEL instruction (with its final newline) for one document key.
 *
 * @throws BerthError as {@link emitLabels}.
 */
export function emitLabel(key: string, value: JsonValue, escape: EscapeToken = '\\'): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(key)) {
    throw new BerthError(
      'BERTH_E_MANIFEST_UNKNOWN_KEY',
      `The key ${JSON.stringify(key)} cannot be written as a LABEL name`,
      {
        property: key,
        expected: 'letters, digits, dots, dashes and underscores',
      },
    );
  }
  const name = labelNameOf(key);
  // The EnvoyAI form of dicom-tags is text, one keyword per line; berth's is that list.
  if (key === 'dicom-tags' && typeof value === 'string') {
    value = value
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  }
  const tried = new Set<string>();
  for (const segments of candidates(key, value)) {
    const id = segments.join('\u0000');
    if (tried.has(id)) continue;
    tried.add(id);
    const text = instruction(name, segments, escape);
    if (readsBack(text, name, key, value, escape)) return text;
  }
  throw new BerthError('BERTH_E_LABEL_VALUE', `The value of ${key} cannot be written as a LABEL`, {
    property: key,
  });
}

/** The forms to try for a value, most readable first. */
function* candidates(key: string, value: JsonValue): Generator<Segments> {
  if (key === 'dicom-tags' && isKeywordList(value)) yield segmentsOf(value.join('\n'));
  for (const options of YAML_VARIANTS) {
    let yaml: string;
    try {
      yaml = stringify(value, options);
    } catch {
      continue;
    }
    yield segmentsOf(yaml.endsWith('\n') ? yaml.slice(0, -1) : yaml);
  }
  yield [JSON.stringify(value)];
}

/** Keywords that read back the same as text with one per line (see decodeLabelValue). */
function isKeywordList(value: JsonValue): value is string[] {
  if (!Array.isArray(value)) return false;
  const first = value[0];
  if (typeof first === 'string' && (/^[[{"]/.test(first) || /^-(\s|$)/.test(first))) return false;
  return value.every((v) => typeof v === 'string' && v !== '' && v === v.trim() && !/[\r\n]/.test(v));
}

/**
 * Escapes YAML (or per-line) text for a label value — newlines as `\n`, a backslash doubled where
 * the unescape would consume it — and cuts it after each `\n`, where the line breaks go.
 */
function segmentsOf(text: string): Segments {
  const segments: Segments = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      segments.push(current + '\\n');
      current = '';
    } else if (c === '\\') {
      const next = text[i + 1];
      current += next === '\\' || next === 'n' || next === '\n' ? '\\\\' : '\\';
    } else current += c;
  }
  segments.push(current);
  return segments;
}

/**
 * Writes label text inside Docker double quotes: `"` and `$` escaped, the escape character doubled
 * where Docker's lexer would consume it. `last`: the closing quote follows.
 */
function quoteForDocker(text: string, escape: EscapeToken, last: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === '$') out += escape + c;
    else if (c === escape) {
      const next = text[i + 1];
      out +=
        next === '"' || next === '$' || next === escape || (next === undefined && last)
          ? escape + escape
          : escape;
    } else out += c ?? '';
  }
  return out;
}

/** The LABEL instruction: one line, or the EnvoyAI layout with the value starting on line two. */
function instruction(name: string, segments: Segments, escape: EscapeToken): string {
  const quoted = segments.map((s, i) => quoteForDocker(s, escape, i === segments.length - 1));
  const lines =
    quoted.length === 1
      ? [`LABEL ${name}="${quoted[0] ?? ''}"`]
      : [
          `LABEL ${name}="${escape}`,
          ...quoted.map((q, i) => (i === quoted.length - 1 ? `${q}"` : q + escape)),
        ];
  return lines.map((l) => wrap(l, escape)).join('\n') + '\n';
}

/**
 * Splits an over-long physical line with plain continuations where Docker joins it back
 * unchanged: not after an escape character (it would escape the break, or read as an escaped
 * escape), not before whitespace or `#` (a continuation line starting so is trimmed or dropped),
 * not inside a surrogate pair.
 */
function wrap(line: string, escape: EscapeToken): string {
  if (line.length <= WRAP_AT) return line;
  const parts: string[] = [];
  let start = 0;
  let at = WRAP_AT;
  while (line.length - start > WRAP_AT) {
    while (at < line.length && !canBreak(line, at, escape)) at++;
    if (at >= line.length) break;
    parts.push(line.slice(start, at) + escape);
    start = at;
    at = start + WRAP_AT;
  }
  parts.push(line.slice(start));
  return parts.join('\n');
}

function canBreak(line: string, at: number, escape: EscapeToken): boolean {
  const before = line.charCodeAt(at - 1);
  const next = line[at] ?? '';
  return line[at - 1] !== escape && !(before >= 0xd800 && before <= 0xdbff) && !/^[\s#\u0085]$/.test(next);
}

/** True when the written instruction reads back, through Docker's rules and berth's decoding, as the value. */
function readsBack(text: string, name: string, key: string, value: JsonValue, escape: EscapeToken): boolean {
  try {
    const dockerfile = escape === '`' ? '# escape=`\n' + text : text;
    const label = loadDockerfileLabels(dockerfile, '<emitted>').labels.get(name);
    if (label === undefined) return false;
    return sameJson(decodeLabelValue(key, label.value, { path: '<emitted>' }).value, value);
  } catch {
    return false;
  }
}
