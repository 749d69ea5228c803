/**
 * The manifest as a document: the EnvoyAI LABELs as one mapping of label name (without the
 * `com.envoyai.` prefix) to its decoded value, plus berth's own extension key.
 */

import type { Finding } from '../errors.js';

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** The EnvoyAI LABEL names, in the order berth writes them. */
export const LABEL_KEYS = [
  'metadata-version',
  'info',
  'schema-in',
  'schema-out',
  'nvidia',
  'network',
  'timeout',
  'dicom-tags',
  'display',
  'selector',
  'report',
] as const;

/** One EnvoyAI LABEL name. */
export type LabelKey = (typeof LABEL_KEYS)[number];

/** Keys berth adds to a manifest; written as `com.envoyai.<key>`-free labels (`org.berth.<key>`). */
export const EXTENSION_KEYS = ['berth'] as const;

/** The prefix of every EnvoyAI LABEL. */
export const LABEL_PREFIX = 'com.envoyai.';

/** The prefix of berth's own LABELs. */
export const EXTENSION_LABEL_PREFIX = 'org.berth.';

/** Where a manifest came from. */
export type ManifestFormat = 'yaml' | 'json' | 'dockerfile' | 'inspect';

/** Finds the source line of a JSON-pointer-like path into the document, where known. */
export type LineLookup = (path: readonly (string | number)[]) => number | undefined;

/** A manifest as loaded, before kinds are resolved. */
export interface ManifestSource {
  /** The decoded document, label name → value. */
  document: JsonObject;
  /** The file it came from (as given by the caller). */
  path: string;
  format: ManifestFormat;
  /** Source line numbers (YAML and Dockerfile sources; JSON gives none). */
  lineOf: LineLookup;
  /** Problems noticed while loading that do not stop it (e.g. a LABEL set twice). */
  findings?: Finding[];
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A line lookup that knows nothing. */
export const noLines: LineLookup = () => undefined;

/**
 * Sets an own enumerable property, also for the key `__proto__` (plain assignment would set the
 * prototype): keys that come from a document or a manifest are data, never special.
 */
export function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
