/**
 * Label values: the text inside one `com.envoyai.*` / `org.berth.*` LABEL, as Docker stores it in
 * the image config, decoded to the JSON value of its manifest key.
 *
 * ## The text berth receives
 * A Dockerfile `LABEL k="..."` value reaches the image after Docker's processing (see
 * `dockerfile.ts` for the sources): continuation lines are joined (the escape character and the
 * line break are removed, nothing else), then the shell-word lexer removes the quotes. Inside
 * double quotes it consumes the escape character only before `"`, `$` and the escape character
 * itself; every other backslash stays. So the EnvoyAI style `dicom-study-in:\n\` + newline stores
 * the two characters backslash and `n` in the label, never a newline.
 *
 * ## The one unescape ({@link unescapeLabelText})
 * YAML label values are written with those literal `\n` sequences, so before YAML parsing berth
 * turns `\n` into a newline and `\\` into one backslash; any other backslash is kept as it is.
 * It is applied to YAML values only (JSON handles its own escapes), and only when the text holds
 * no real newline: a label value with real newlines was set some other way (`--label`, the API)
 * and is already plain YAML.
 *
 * ## JSON or YAML
 * JSON first: if the whole text parses as JSON (an object, array or scalar) that is the value, as
 * written, with no unescape. Otherwise the unescaped text is parsed as YAML 1.2 (core schema).
 * `dicom-tags` is special: see {@link decodeLabelValue}.
 */
import { LineCounter, parseDocument, isSeq, type Node } from 'yaml';
import { BerthError, finding, isBerthError, type Finding } from '../errors.js';
import {
  EXTENSION_KEYS,
  EXTENSION_LABEL_PREFIX,
  LABEL_PREFIX,
  setOwn,
  type JsonObject,
  type JsonValue,
  type LineLookup,
} from './document.js';
import { MAX_NESTING, parseYamlText } from './yaml-text.js';

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
function unescapeWithLineStarts(text: string): { text: string; lineStarts: number[] } {
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

/** Decodes a label value to its JSON value; see {@link decodeLabelValue}. */
export function parseLabelValue(key: string, text: string, where: LabelValueWhere): JsonValue {
  return decodeLabelValue(key, text, where).value;
}

/**
 * Decodes one label value (JSON first, then unescaped YAML) with line numbers.
 *
 * `dicom-tags` is text with one DICOM keyword per line in the EnvoyAI reference; berth's document
 * holds it as a list of strings. Accepted: JSON (a list; a JSON string gives its lines; any other
 * JSON value is kept as is, for the validator to report), a YAML list, flow (`[a, b]`) or block
 * (`- PatientAge`), read with the failsafe schema so `- 00100010` keeps its zeros, and otherwise
 * the text's lines, each trimmed, empty ones dropped.
 *
 * @throws BerthError BERTH_E_LABEL_VALUE when the text is neither JSON nor YAML,
 *   BERTH_E_TOO_DEEP / BERTH_E_YAML_ALIAS_LIMIT for hostile values.
 */
export function decodeLabelValue(key: string, text: string, where: LabelValueWhere): DecodedLabelValue {
  const lineAt = (index: number): number | undefined =>
    where.lines?.[Math.min(index, where.lines.length - 1)] ?? where.line;
  const firstLine = lineAt(Math.max(0, text.search(/\S/)));
  const constantLines: LineLookup = () => firstLine;
  if (key === 'dicom-tags') return decodeDicomTags(text, where, lineAt, constantLines);

  const json = tryJson(text, where, key);
  if (json !== undefined) return { value: json.value, lineOf: constantLines };

  const { text: yamlText, lineStarts } = unescapeWithLineStarts(text);
  const yamlLineToSource = (yamlLine: number): number | undefined => {
    const start = lineStarts[yamlLine - 1];
    return start === undefined ? where.line : lineAt(start);
  };
  let parsed;
  try {
    parsed = parseYamlText(yamlText, { path: where.path });
  } catch (e) {
    throw relabelYamlError(e, yamlText, key, where, yamlLineToSource);
  }
  const inner = parsed.lineOf;
  return {
    value: parsed.value,
    lineOf: (path) => {
      const line = inner(path);
      return line === undefined ? firstLine : yamlLineToSource(line);
    },
  };
}

function tryJson(text: string, where: LabelValueWhere, key: string): { value: JsonValue } | undefined {
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
function checkDepth(value: JsonValue, where: LabelValueWhere, key: string): void {
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

function relabelYamlError(
  e: unknown,
  yamlText: string,
  key: string,
  where: LabelValueWhere,
  yamlLineToSource: (line: number) => number | undefined,
): unknown {
  if (!isBerthError(e) || e.code !== 'BERTH_E_YAML_SYNTAX') return e;
  const yamlLine = e.line ?? yamlErrorLine(yamlText);
  const line = yamlLine === undefined ? where.line : yamlLineToSource(yamlLine);
  const detail = stripWhere(e.message, where.path).replace(/^The text is not valid YAML: /, '');
  return new BerthError(
    'BERTH_E_LABEL_VALUE',
    `The ${labelNameOf(key)} LABEL value is neither JSON nor YAML: ${detail}`,
    {
      path: where.path,
      property: key,
      ...(line === undefined ? {} : { line }),
      expected: 'JSON, or YAML written with \\n line breaks',
      cause: e,
    },
  );
}

/** The 1-based line of the first YAML error (parseYamlText's errors may carry none). */
function yamlErrorLine(text: string): number | undefined {
  const lineCounter = new LineCounter();
  try {
    const start = parseDocument(text, { lineCounter, uniqueKeys: true, strict: true }).errors[0]?.pos[0];
    return start === undefined ? undefined : lineCounter.linePos(start).line;
  } catch {
    return undefined;
  }
}

/** Drops the " (path, line N)" suffix a BerthError message carries, to re-place it. */
function stripWhere(message: string, path: string): string {
  const at = message.lastIndexOf(` (${path}`);
  return at < 0 ? message : message.slice(0, at);
}

function decodeDicomTags(
  text: string,
  where: LabelValueWhere,
  lineAt: (index: number) => number | undefined,
  constantLines: LineLookup,
): DecodedLabelValue {
  const trimmed = text.trim();
  const json = tryJson(text, where, 'dicom-tags');
  if (json !== undefined && typeof json.value === 'string') return perLine(json.value, () => where.line);
  if (json !== undefined) return { value: json.value, lineOf: constantLines };
  const { text: unescaped, lineStarts } = unescapeWithLineStarts(text);
  const sourceOfYamlLine = (yamlLine: number): number | undefined => {
    const start = lineStarts[yamlLine];
    return start === undefined ? where.line : lineAt(start);
  };
  const firstContent = unescaped.split('\n').find((l) => l.trim() !== '') ?? '';
  if (trimmed.startsWith('[') || /^\s*-(\s|$)/.test(firstContent)) {
    return failsafeYaml(unescaped, where, sourceOfYamlLine);
  }
  return perLine(unescaped, sourceOfYamlLine);
}

/** One keyword per line: trimmed, empty lines dropped. */
function perLine(
  text: string,
  sourceOfLine: (zeroBasedLine: number) => number | undefined,
): DecodedLabelValue {
  const items: string[] = [];
  const lines: Array<number | undefined> = [];
  text.split('\n').forEach((raw, i) => {
    const item = raw.trim();
    if (item === '') return;
    items.push(item);
    lines.push(sourceOfLine(i));
  });
  return {
    value: items,
    lineOf: (path) => (path.length === 0 ? lines[0] : lines[Number(path[0])]) ?? lines[0],
  };
}

/** YAML read with the failsafe schema: every scalar stays a string. */
function failsafeYaml(
  text: string,
  where: LabelValueWhere,
  sourceOfYamlLine: (zeroBasedLine: number) => number | undefined,
): DecodedLabelValue {
  const lineCounter = new LineCounter();
  let value: unknown;
  let doc;
  try {
    doc = parseDocument(text, { schema: 'failsafe', lineCounter, uniqueKeys: true, prettyErrors: false });
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line;
      throw new BerthError(
        'BERTH_E_LABEL_VALUE',
        `The ${LABEL_PREFIX}dicom-tags LABEL value is not a list: ${error.message.split('\n')[0] ?? ''}`,
        {
          path: where.path,
          property: 'dicom-tags',
          ...(line === undefined ? {} : { line: sourceOfYamlLine(line - 1) ?? line }),
          expected: 'one DICOM keyword per line, or a YAML/JSON list of keywords',
        },
      );
    }
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (isBerthError(e)) throw e;
    throw new BerthError(e instanceof RangeError ? 'BERTH_E_TOO_DEEP' : 'BERTH_E_LABEL_VALUE', undefined, {
      path: where.path,
      property: 'dicom-tags',
      cause: e,
    });
  }
  const json = JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
  checkDepth(json, where, 'dicom-tags');
  const contents = doc.contents;
  const lineOfNode = (node: Node | undefined): number | undefined => {
    const start = node?.range?.[0];
    return start === undefined ? sourceOfYamlLine(0) : sourceOfYamlLine(lineCounter.linePos(start).line - 1);
  };
  return {
    value: json,
    lineOf: (path) => {
      if (path.length > 0 && isSeq(contents)) {
        const item = contents.items[Number(path[0])];
        if (item && typeof item === 'object' && 'range' in item) return lineOfNode(item as Node);
      }
      return lineOfNode(contents ?? undefined);
    },
  };
}

/** One label as read from an image or a Dockerfile, before decoding. */
export interface LabelText {
  value: string;
  /** 1-based line of the label's name, where known. */
  line?: number;
  /** See {@link LabelValueWhere.lines}. */
  valueLines?: readonly number[];
}

/** A manifest document assembled from labels, with line lookup and warnings. */
export interface LabelDocument {
  document: JsonObject;
  lineOf: LineLookup;
  findings: Finding[];
}

/**
 * Builds the manifest document from an image's labels (name → text): every `com.envoyai.<key>`
 * becomes `<key>` (unknown keys are kept, for the validator to report), `org.berth.<key>` becomes
 * `<key>` for berth's extension keys; other labels are ignored.
 *
 * @throws BerthError BERTH_E_NO_LABELS when there is no `com.envoyai.*` label at all.
 */
export function documentFromLabels(labels: ReadonlyMap<string, LabelText>, path: string): LabelDocument {
  const findings: Finding[] = [];
  if (![...labels.keys()].some((name) => name.startsWith(LABEL_PREFIX))) {
    throw new BerthError('BERTH_E_NO_LABELS', undefined, {
      path,
      expected: `LABEL ${LABEL_PREFIX}<name>=...`,
    });
  }
  const document: JsonObject = {};
  const keyLines = new Map<string, number | undefined>();
  const valueLines = new Map<string, LineLookup>();
  const seenFrom = new Map<string, string>();
  for (const [name, label] of labels) {
    const key = documentKeyOf(name);
    if (key === undefined) {
      if (name.startsWith(EXTENSION_LABEL_PREFIX)) {
        findings.push(
          finding('BERTH_E_MANIFEST_UNKNOWN_KEY', `${name} is not a berth LABEL; it is ignored`, {
            severity: 'warning',
            path,
            ...(label.line === undefined ? {} : { line: label.line }),
            expected: EXTENSION_KEYS.map((k) => EXTENSION_LABEL_PREFIX + k).join(', '),
          }),
        );
      }
      continue;
    }
    const earlier = seenFrom.get(key);
    if (earlier !== undefined) {
      findings.push(
        finding('BERTH_E_LABEL_DUPLICATE', `${name} and ${earlier} both set ${key}; ${name} is used`, {
          severity: 'warning',
          path,
          property: key,
          ...(label.line === undefined ? {} : { line: label.line }),
        }),
      );
    }
    seenFrom.set(key, name);
    const decoded = decodeLabelValue(key, label.value, {
      path,
      ...(label.line === undefined ? {} : { line: label.line }),
      ...(label.valueLines === undefined ? {} : { lines: label.valueLines }),
    });
    setOwn(document, key, decoded.value);
    keyLines.set(key, label.line);
    valueLines.set(key, decoded.lineOf);
  }
  const lineOf: LineLookup = (p) => {
    const [first, ...rest] = p;
    if (first === undefined) return undefined;
    const key = String(first);
    if (rest.length === 0) return keyLines.get(key);
    return valueLines.get(key)?.(rest) ?? keyLines.get(key);
  };
  return { document, lineOf, findings };
}

/**
 * Deep equality of JSON values as the round-trip contract means it: key order and object
 * prototypes ignored; -0 equals 0, as in JSON (a value that only JSON can carry reads back 0).
 */
export function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => sameJson(x, b[i] ?? null) && i in b)
    );
  }
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k] ?? null, b[k] ?? null))
  );
}
