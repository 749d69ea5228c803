/**
 * The manifest document from an image's (or a Dockerfile's) labels: each berth label decoded to
 * its document key, with line lookup and warnings.
 */
import { BerthError, finding, type Finding } from '../errors.js';
import {
  EXTENSION_KEYS,
  EXTENSION_LABEL_PREFIX,
  LABEL_PREFIX,
  setOwn,
  type JsonObject,
  type LineLookup,
} from './document.js';
import { documentKeyOf } from './label-text.js';
import { decodeLabelValue } from './label-value.js';

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
