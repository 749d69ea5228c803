/**
 * The manifest from an image's inspect JSON: what `docker inspect IMAGE`, `docker image inspect`,
 * `podman inspect` and `podman image inspect` print. Label values there are exactly what the
 * builder stored, so they decode the same way as Dockerfile LABELs (JSON first, else YAML after
 * the `\n` / `\\` unescape).
 *
 * Accepted shapes: an array of exactly one image object; one image object; with the labels in
 * `Config.Labels` (Docker, podman) or top-level `Labels` (podman; `Config.Labels` wins when both
 * are present); or the bare labels object that `docker inspect --format '{{json .Config.Labels}}'`
 * prints. `null` labels (an image without any) reads as no labels.
 */
import { BerthError, summaryOf, type Finding } from '../errors.js';
import {
  EXTENSION_LABEL_PREFIX,
  LABEL_PREFIX,
  isJsonObject,
  noLines,
  type ManifestSource,
} from './document.js';
import { documentFromLabels, type LabelText } from './label-document.js';

/** A manifest read from inspect JSON, with the warnings found while reading it. */
export interface InspectManifest extends ManifestSource {
  findings: Finding[];
}

/**
 * Reads the labels of inspect JSON; see the module comment for the accepted shapes.
 *
 * @throws BerthError BERTH_E_JSON_SYNTAX for text that is not JSON, BERTH_E_INSPECT_SHAPE for JSON
 *   of another shape.
 */
export function labelsFromInspect(text: string, path: string): Map<string, LabelText> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const position = /position (\d+)/.exec(e instanceof Error ? e.message : '')?.[1];
    const line = position === undefined ? undefined : text.slice(0, Number(position)).split('\n').length;
    throw new BerthError('BERTH_E_JSON_SYNTAX', `The inspect output is not valid JSON: ${String(e)}`, {
      path,
      ...(line === undefined ? {} : { line }),
      expected: 'the JSON that docker inspect or podman image inspect prints',
      cause: e,
    });
  }
  const shape = (detail: string): BerthError =>
    new BerthError('BERTH_E_INSPECT_SHAPE', detail, {
      path,
      expected: 'an array of one image object with Config.Labels, as docker inspect IMAGE prints it',
    });
  if (Array.isArray(data)) {
    if (data.length !== 1) throw shape(`The inspect output lists ${data.length} objects, not one image`);
    data = data[0];
  }
  if (!isJsonObject(data)) throw shape('The inspect output is not an image object');
  const config = data['Config'];
  let raw: unknown;
  if (isJsonObject(config) && 'Labels' in config) raw = config['Labels'];
  else if ('Labels' in data) raw = data['Labels'];
  else if (Object.keys(data).some((k) => k.startsWith(LABEL_PREFIX) || k.startsWith(EXTENSION_LABEL_PREFIX)))
    raw = data;
  else throw shape(summaryOf('BERTH_E_INSPECT_SHAPE'));
  if (raw === null) return new Map();
  if (!isJsonObject(raw)) throw shape('The image labels are not an object of names to text');
  const labels = new Map<string, LabelText>();
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw shape(`The value of label ${name} is not text`);
    labels.set(name, { value });
  }
  return labels;
}

/**
 * The manifest document from inspect JSON; keys and decoding as for Dockerfile LABELs. Inspect
 * JSON carries no useful line numbers, so `lineOf` knows none.
 *
 * @throws BerthError BERTH_E_JSON_SYNTAX, BERTH_E_INSPECT_SHAPE, BERTH_E_NO_LABELS, and the
 *   label decoding errors.
 */
export function manifestFromInspect(text: string, path: string): InspectManifest {
  const doc = documentFromLabels(labelsFromInspect(text, path), path);
  return { document: doc.document, path, format: 'inspect', lineOf: noLines, findings: doc.findings };
}
