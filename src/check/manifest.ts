import { BerthError, finding, type Finding } from '../errors.js';
import type { ManifestSource } from '../manifest/document.js';
import { loadManifestFile } from '../manifest/load.js';
import { settingsOf, type ManifestSettings } from '../manifest/manifest.js';
import { validateDocument } from '../manifest/validate.js';
import type { Property } from '../kinds/property.js';
import { resolveSide } from '../kinds/resolve.js';
import { checkReferences } from './manifest-refs.js';
import { entryByKeyword } from '../dicom/dictionary.js';

export { findProperty } from './manifest-refs.js';

/** A machine's manifest with both schemas resolved into typed properties. */
export interface MachineDefinition {
  source: ManifestSource;
  settings: ManifestSettings;
  inputs: Property[];
  outputs: Property[];
}

/** The outcome of checking a manifest: the definition (when usable) and every finding. */
export interface ManifestCheck {
  definition: MachineDefinition;
  findings: Finding[];
  /** True when no finding is an error. */
  ok: boolean;
}

/**
 * Checks a loaded manifest completely: the JSON Schema, the document rules, every property
 * definition (names, kinds, keywords), and display/report/selector pointers. Never throws for
 * bad content; every problem is a finding with a code, the property path and the line.
 */
export function checkManifest(source: ManifestSource): ManifestCheck {
  const findings: Finding[] = [...(source.findings ?? []), ...validateDocument(source)];
  const doc = source.document;
  const inSide = resolveSide(doc['schema-in'], 'in', source.lineOf);
  const outSide = resolveSide(doc['schema-out'], 'out', source.lineOf);
  findings.push(...inSide.findings, ...outSide.findings);
  findings.push(...checkReferences(source, { in: inSide.properties, out: outSide.properties }));
  findings.push(...joinedTagWarnings(source));
  for (const f of findings) f.path ??= source.path;
  findings.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  const definition: MachineDefinition = {
    source,
    settings: settingsOf(source),
    inputs: inSide.properties,
    outputs: outSide.properties,
  };
  return { definition, findings, ok: !findings.some((f) => f.severity === 'error') };
}

/** Loads and checks a manifest file, throwing a BerthError that lists the errors if it has any. */
export async function loadMachine(file: string): Promise<MachineDefinition> {
  const result = checkManifest(await loadManifestFile(file));
  if (!result.ok) {
    const errors = result.findings.filter((f) => f.severity === 'error');
    const first = errors[0]!;
    throw new BerthError(
      first.code,
      `The manifest has ${errors.length} error(s); first: ${first.message}` +
        (first.property ? ` (${first.property})` : ''),
      { path: file, ...(first.line === undefined ? {} : { line: first.line }) },
    );
  }
  return result.definition;
}

/**
 * Warns of a dicom-tags entry that is two or more dictionary keywords run together: what Docker
 * makes of lines ending in a bare `\` (no `\n`), as REF.md's own dicom-tags example does.
 */
function joinedTagWarnings(source: ManifestSource): Finding[] {
  const tags = source.document['dicom-tags'];
  if (!Array.isArray(tags)) return [];
  const out: Finding[] = [];
  tags.forEach((tag, i) => {
    if (typeof tag !== 'string' || entryByKeyword(tag) !== undefined) return;
    const parts = splitKeywords(tag);
    if (parts === undefined) return;
    const line = source.lineOf(['dicom-tags', i]);
    out.push(
      finding(
        'BERTH_E_DICOM_TAG',
        `dicom-tags entry ${JSON.stringify(tag)} reads as ${parts.join(' and ')} run together: ` +
          'Docker joins a LABEL line that ends in a bare \\ with the next one',
        {
          severity: 'warning',
          property: `dicom-tags/${i}`,
          ...(line === undefined ? {} : { line }),
          expected: 'one keyword per line, each line ending in \\n\\',
        },
      ),
    );
  });
  return out;
}

/** DICOM keywords are at most 64 characters (PS3.6); longer run-together entries are not looked into. */
const MAX_KEYWORD_LENGTH = 64;
const MAX_JOINED_LENGTH = 256;

/** The dictionary keywords (two or more) that `text` is made of, if it is made of any. */
function splitKeywords(text: string): string[] | undefined {
  if (text.length > MAX_JOINED_LENGTH || !/^[A-Za-z0-9]+$/.test(text)) return undefined;
  // splits[k]: the keywords text[0..k) is made of. Bounded: ≤ 256 × 64 dictionary lookups.
  const splits: (string[] | undefined)[] = [[]];
  for (let end = 1; end <= text.length; end++) {
    const first = Math.max(0, end - MAX_KEYWORD_LENGTH);
    for (let start = end - 1; start >= first && splits[end] === undefined; start--) {
      const head = splits[start];
      const word = text.slice(start, end);
      if (head !== undefined && entryByKeyword(word) !== undefined) splits[end] = [...head, word];
    }
  }
  const parts = splits[text.length];
  return parts !== undefined && parts.length >= 2 ? parts : undefined;
}
