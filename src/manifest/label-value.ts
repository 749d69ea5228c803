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
import { LineCounter, parseDocument } from 'yaml';
import { BerthError, isBerthError } from '../errors.js';
import type { JsonValue, LineLookup } from './document.js';
import { decodeDicomTags } from './label-dicom-tags.js';
import {
  labelNameOf,
  tryJson,
  unescapeWithLineStarts,
  type DecodedLabelValue,
  type LabelValueWhere,
} from './label-text.js';
import { parseYamlText } from './yaml-text.js';

export {
  documentKeyOf,
  escapeLabelText,
  labelNameOf,
  unescapeLabelText,
  type DecodedLabelValue,
  type LabelValueWhere,
} from './label-text.js';

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
