import { BerthError, finding, type Finding } from '../errors.js';
import { isJsonObject, type JsonValue, type ManifestSource } from '../manifest/document.js';
import { loadManifestFile } from '../manifest/load.js';
import { settingsOf, type ManifestSettings } from '../manifest/manifest.js';
import { validateDocument } from '../manifest/validate.js';
import type { Property, Side } from '../kinds/property.js';
import { resolveSide } from '../kinds/resolve.js';

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
  findings.push(...checkPointers(source, { in: inSide.properties, out: outSide.properties }));
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

/** Finds a property by a `/`-separated path of names (array items as `[]`). */
export function findProperty(props: readonly Property[], propertyPath: string): Property | undefined {
  let level: readonly Property[] = props;
  let found: Property | undefined;
  for (const name of propertyPath.split('/')) {
    found = level.find((p) => p.name === name);
    if (!found) return undefined;
    level = found.properties ?? (found.items ? [found.items] : []);
  }
  return found;
}

function checkPointers(source: ManifestSource, sides: Record<Side, Property[]>): Finding[] {
  const out: Finding[] = [];
  const doc = source.document;
  const check = (value: JsonValue | undefined, pointer: (string | number)[]) => {
    if (!isJsonObject(value) || !isJsonObject(value['pointer'])) return;
    const { source: side, property } = value['pointer'];
    if ((side !== 'input' && side !== 'output') || typeof property !== 'string') return;
    const props = side === 'input' ? sides.in : sides.out;
    if (!findProperty(props, property)) {
      const line = source.lineOf([...pointer, 'pointer', 'property']);
      out.push(
        finding(
          'BERTH_E_POINTER_TARGET',
          `The pointer names ${side} property ${JSON.stringify(property)}, which does not exist`,
          {
            property: pointer.join('/'),
            ...(line === undefined ? {} : { line }),
            expected: `one of the ${side} properties: ${props.map((p) => p.name).join(', ') || '(none)'}`,
          },
        ),
      );
    }
  };
  const ids = new Set<string>();
  const display = doc['display'];
  if (isJsonObject(display)) {
    for (const group of ['source-display-group', 'results-display-group']) {
      const elements = display[group];
      if (!Array.isArray(elements)) continue;
      elements.forEach((el, i) => {
        if (!isJsonObject(el)) return;
        if (typeof el['id'] === 'string') ids.add(el['id']);
        check(el['content'], ['display', group, i, 'content']);
      });
    }
  }
  const report = doc['report'];
  if (isJsonObject(report) && Array.isArray(report['findings'])) {
    report['findings'].forEach((f, i) => {
      if (isJsonObject(f)) check(f['value'], ['report', 'findings', i, 'value']);
    });
  }
  const selector = doc['selector'];
  if (isJsonObject(selector) && isJsonObject(selector['selector-config'])) {
    const config = selector['selector-config'];
    const named: [JsonValue | undefined, (string | number)[]][] = [];
    if (Array.isArray(config['choose-options'])) {
      config['choose-options'].forEach((o, i) =>
        named.push([o, ['selector', 'selector-config', 'choose-options', i]]),
      );
    }
    named.push([config['default-option'], ['selector', 'selector-config', 'default-option']]);
    for (const [option, pointer] of named) {
      if (typeof option === 'string' && !ids.has(option)) {
        const line = source.lineOf(pointer);
        out.push(
          finding(
            'BERTH_E_SELECTOR_OPTION',
            `Selector option ${JSON.stringify(option)} is not a display element id`,
            {
              property: pointer.join('/'),
              ...(line === undefined ? {} : { line }),
              expected: `one of: ${[...ids].join(', ') || '(no display element has an id)'}`,
            },
          ),
        );
      }
    }
  }
  return out;
}
