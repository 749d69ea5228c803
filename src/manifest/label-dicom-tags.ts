/**
 * The `dicom-tags` label value: text with one DICOM keyword per line in the EnvoyAI reference,
 * a list of strings in berth's document. See {@link decodeLabelValue} in ./label-value.ts.
 */
import { LineCounter, parseDocument, isSeq, type Node } from 'yaml';
import { BerthError, isBerthError } from '../errors.js';
import { LABEL_PREFIX, type JsonValue, type LineLookup } from './document.js';
import {
  checkDepth,
  tryJson,
  unescapeWithLineStarts,
  type DecodedLabelValue,
  type LabelValueWhere,
} from './label-text.js';

export function decodeDicomTags(
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
