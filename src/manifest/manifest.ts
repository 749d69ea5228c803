import { isJsonObject, type JsonObject, type ManifestSource } from './document.js';

/** The EnvoyAI defaults of the optional LABELs. */
export const DEFAULTS = { nvidia: false, network: false, timeoutMinutes: 60 } as const;

/**
 * The longest timeout berth accepts, in minutes (30 days), wherever one is given: the manifest's
 * `timeout`, a case's `timeout`, `--timeout`. Beyond Node's 2³¹ ms timer limit (24.8 days) the
 * harness chains timers (harness/long-timer.ts); `schemas/machine.schema.json` and
 * `schemas/case.schema.json` state the same `maximum`.
 */
export const MAX_TIMEOUT_MINUTES = 43_200;

/** The `info` label: `name` plus free text fields. */
export interface MachineInfo {
  name: string;
  [field: string]: string;
}

/** A manifest's settings with the platform's defaults applied. */
export interface ManifestSettings {
  name: string;
  info: MachineInfo;
  nvidia: boolean;
  network: boolean;
  timeoutMinutes: number;
  dicomTags: string[];
}

/** Reads the settings of a manifest document, defaults applied. Assumes a validated document. */
export function settingsOf(source: ManifestSource): ManifestSettings {
  const doc = source.document;
  const info = isJsonObject(doc['info']) ? stringFields(doc['info']) : { name: '' };
  const tags = doc['dicom-tags'];
  return {
    name: info.name,
    info,
    nvidia: doc['nvidia'] === true,
    network: doc['network'] === true,
    timeoutMinutes:
      typeof doc['timeout'] === 'number' && doc['timeout'] > 0 ? doc['timeout'] : DEFAULTS.timeoutMinutes,
    dicomTags: Array.isArray(tags)
      ? tags.filter((t): t is string => typeof t === 'string')
      : typeof tags === 'string'
        ? splitLines(tags)
        : [],
  };
}

/** Splits label text with one entry per line. */
export function splitLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((t) => t.trim())
    .filter(Boolean);
}

function stringFields(o: JsonObject): MachineInfo {
  const out: MachineInfo = { name: '' };
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string') out[k] = v;
  return out;
}
