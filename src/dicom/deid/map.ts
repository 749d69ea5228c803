/**
 * The de-identification map: what re-identification needs, and the only way back from a pseudonym.
 * It holds PHI (original UIDs and the Patient/Study attributes): keep it where the originals are.
 *
 * JSON, `format: "berth-deid-map/1"`:
 * - `uids`: pseudonymous UID → original UID, for every UID the de-identifier remapped;
 * - `studies`: original StudyInstanceUID → `{ pseudonymousStudyUid, dateShiftDays, elements }`, where
 *   `elements` are the original Patient and Study module attributes of the study's first instance as
 *   `{ tag: "GGGGEEEE", vr, value: <base64 of the little endian value bytes> }` or, for sequences,
 *   `{ tag, vr: "SQ", items: [[...elements]] }`;
 * - `phi` (optional): the identifying values of the originals `{ text, vr, attribute, source, kept }`,
 *   and `shiftedDates`, so that a leak check can run before re-identification.
 */
import { BerthError } from '../../errors.js';
import type { PhiValue } from './phi.js';
import { isSequence, type DataSetNode, type ElementNode } from './tree.js';

export const MAP_FORMAT = 'berth-deid-map/1';

/** One element in the map's JSON. */
export interface JsonElement {
  tag: string;
  vr: string;
  value?: string;
  items?: JsonElement[][];
}

/** The originals of one study. */
export interface StudyOriginals {
  pseudonymousStudyUid: string;
  dateShiftDays: number;
  elements: JsonElement[];
}

export interface DeidMap {
  format: typeof MAP_FORMAT;
  /** PS3.15 edition and the options used, for the record. */
  profile: { edition: string; method: string };
  uids: Record<string, string>;
  studies: Record<string, StudyOriginals>;
  /** The identifying values of the originals, for a leak check before re-identification. */
  phi?: PhiValue[];
  /** Dates written shifted (not searched as originals). */
  shiftedDates?: string[];
}

/** A data set as map JSON. */
export function toJson(nodes: DataSetNode): JsonElement[] {
  return nodes.map((n) => {
    const tag = (n.tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
    return isSequence(n)
      ? { tag, vr: 'SQ', items: n.items.map(toJson) }
      : { tag, vr: n.vr, value: n.bytes.toString('base64') };
  });
}

function bad(detail: string, path: string): BerthError {
  return new BerthError('BERTH_E_DEID_MAP', detail, { path, expected: `a ${MAP_FORMAT} JSON map` });
}

/** Map JSON back to nodes; throws BERTH_E_DEID_MAP on anything malformed. */
export function fromJson(list: unknown, path: string, depth = 0): DataSetNode {
  if (!Array.isArray(list) || depth > 64) throw bad('An element list is not an array', path);
  return list.map((e: unknown): ElementNode => {
    const o = e as Partial<JsonElement> | null;
    if (typeof o !== 'object' || o === null || typeof o.tag !== 'string' || !/^[0-9A-F]{8}$/.test(o.tag)) {
      throw bad('An element has no 8-hex-digit tag', path);
    }
    if (typeof o.vr !== 'string' || !/^[A-Z]{2}$/.test(o.vr)) throw bad(`Element ${o.tag} has no VR`, path);
    const tag = parseInt(o.tag, 16);
    if (o.vr === 'SQ') {
      if (!Array.isArray(o.items)) throw bad(`Sequence ${o.tag} has no items`, path);
      return { tag, vr: 'SQ', items: o.items.map((i) => fromJson(i, path, depth + 1)) };
    }
    if (typeof o.value !== 'string') throw bad(`Element ${o.tag} has no base64 value`, path);
    return { tag, vr: o.vr, bytes: Buffer.from(o.value, 'base64') };
  });
}

/** Checks a parsed JSON document is a map (shape only); throws BERTH_E_DEID_MAP. */
export function checkMap(doc: unknown, path: string): DeidMap {
  const m = doc as Partial<DeidMap> | null;
  if (typeof m !== 'object' || m === null || m.format !== MAP_FORMAT) throw bad('Not a berth map', path);
  if (typeof m.uids !== 'object' || m.uids === null) throw bad('The map has no uids', path);
  for (const [k, v] of Object.entries(m.uids)) {
    if (typeof v !== 'string') throw bad(`UID ${k} maps to no string`, path);
  }
  if (typeof m.studies !== 'object' || m.studies === null) throw bad('The map has no studies', path);
  for (const s of Object.values(m.studies)) fromJson((s as StudyOriginals | null)?.elements, path);
  if (m.phi !== undefined && !Array.isArray(m.phi)) throw bad('phi is not a list', path);
  for (const v of m.phi ?? []) {
    const o = v as Partial<PhiValue> | null;
    if (typeof o?.text !== 'string' || typeof o.vr !== 'string' || typeof o.attribute !== 'string') {
      throw bad('A phi value lacks text, vr or attribute', path);
    }
  }
  if (m.shiftedDates !== undefined && !Array.isArray(m.shiftedDates))
    throw bad('shiftedDates is not a list', path);
  return m as DeidMap;
}

/** Merges `from` into `into` (several runs of the same site): UIDs and studies are added. */
export function mergeMaps(into: DeidMap, from: DeidMap): DeidMap {
  Object.assign(into.uids, from.uids);
  for (const [k, v] of Object.entries(from.studies)) into.studies[k] ??= v;
  if (from.phi) into.phi = [...(into.phi ?? []), ...from.phi];
  if (from.shiftedDates)
    into.shiftedDates = [...new Set([...(into.shiftedDates ?? []), ...from.shiftedDates])];
  return into;
}
