/**
 * The shapes of the `display` and `report` labels, known in one place: how to walk their elements
 * (both forms of a display group) and what to tell a user whose shape is wrong.
 *
 * A display group is written by the EnvoyAI reference (REF.md, com.envoyai.display) as a mapping
 * `{display-elements: [...], presentation: tile}` — `display-elements` may be an empty list,
 * `presentation` is optional. berth also accepts a bare list of display elements (its own earlier
 * form). Each display element has a `title`, an `id` and a `content` pointer.
 */
import { isJsonObject, type JsonObject, type JsonValue } from './document.js';

/** The display groups, in the order the reference lists them. */
export const DISPLAY_GROUPS = ['source-display-group', 'results-display-group'] as const;

/** The expected shape of a display element, in words. */
export const DISPLAY_ELEMENT_SHAPE =
  '{title: TEXT, id: ID, content: {pointer: {source: input|output, property: NAME}}}';

/** The expected shape of a display group, in words. */
export const DISPLAY_GROUP_SHAPE =
  `{display-elements: [${DISPLAY_ELEMENT_SHAPE}, ...], presentation: tile} ` +
  '(display-elements may be [], presentation is optional; a bare list of display elements is also accepted)';

/** The expected shape of the display label, in words. */
export const DISPLAY_SHAPE =
  '{source-display-group: {display-elements: [...]}, results-display-group: {display-elements: [...]}, result-summary: ...}';

/** The expected shape of a report finding, in words. */
export const REPORT_FINDING_SHAPE =
  '{code: CODE, code-system: snomed-ct|radlex, value: {pointer: {source: input|output, property: NAME, ' +
  'sub-properties: {MEMBER: {code: CODE}}}}} (sub-properties only for an array of objects)';

/** A JSON path into the manifest document. */
export type DocPath = (string | number)[];

/** One display element of a display group, with its path in the document. */
export interface DisplayElementAt {
  element: JsonValue;
  path: DocPath;
}

/**
 * The elements of both display groups, in order, with their document paths:
 * `display/<group>/display-elements/<i>` for the reference form, `display/<group>/<i>` for a bare list.
 * Groups of any other shape yield nothing (the schema reports them).
 */
export function displayElements(display: JsonValue | undefined): DisplayElementAt[] {
  const out: DisplayElementAt[] = [];
  if (!isJsonObject(display)) return out;
  for (const group of DISPLAY_GROUPS) {
    const value = display[group];
    const listed = listOf(value);
    if (listed === undefined) continue;
    listed.list.forEach((element, i) => out.push({ element, path: ['display', group, ...listed.at, i] }));
  }
  return out;
}

function listOf(group: JsonValue | undefined): { list: JsonValue[]; at: DocPath } | undefined {
  if (Array.isArray(group)) return { list: group, at: [] };
  if (isJsonObject(group) && Array.isArray(group['display-elements'])) {
    return { list: group['display-elements'], at: ['display-elements'] };
  }
  return undefined;
}

/**
 * What a schema error at `path` (inside `display` or `report`) should say was expected, or
 * undefined when the generic message is precise enough (an enum lists its values itself).
 */
export function expectedShapeAt(path: readonly string[]): string | undefined {
  const [top, group, ...rest] = path;
  if (top === 'display') {
    if (group === undefined) return DISPLAY_SHAPE;
    if (!(DISPLAY_GROUPS as readonly string[]).includes(group)) return undefined;
    if (rest.length === 0) return DISPLAY_GROUP_SHAPE;
    const inList = rest[0] === 'display-elements' ? rest.slice(1) : rest;
    if (inList.length === 0) return `a list of display elements ${DISPLAY_ELEMENT_SHAPE}`;
    if (inList.length === 1 && /^\d+$/.test(inList[0] ?? '')) return DISPLAY_ELEMENT_SHAPE;
    if (inList.length <= 3 && inList[1] === 'content')
      return '{pointer: {source: input|output, property: NAME}}';
    return undefined;
  }
  if (top === 'report') {
    if (group === undefined) return `{findings: [${REPORT_FINDING_SHAPE}, ...]}`;
    if (rest.length <= 1) return REPORT_FINDING_SHAPE;
    const sub = rest.indexOf('sub-properties');
    if (sub >= 0 && rest.length === sub + 1) return '{MEMBER: {code: CODE, code-system: snomed-ct|radlex}}';
    if (sub >= 0) return '{code: CODE, code-system: snomed-ct|radlex}';
    return undefined;
  }
  return undefined;
}

/** The `sub-properties` of a report pointer, when it has a mapping of them. */
export function subPropertiesOf(pointer: JsonObject): JsonObject | undefined {
  const sub = pointer['sub-properties'];
  return isJsonObject(sub) ? sub : undefined;
}
