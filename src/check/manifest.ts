import { BerthError, type Finding } from '../errors.js';
import type { ManifestSource } from '../manifest/document.js';
import { loadManifestFile } from '../manifest/load.js';
import { settingsOf, type ManifestSettings } from '../manifest/manifest.js';
import { validateDocument } from '../manifest/validate.js';
import type { Property } from '../kinds/property.js';
import { resolveSide } from '../kinds/resolve.js';
import { checkReferences } from './manifest-refs.js';

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
