/**
 * The references inside a manifest's `display`, `report` and `selector` labels: each pointer
 * names a property of its side, each report `sub-properties` name a member of the pointed array's
 * items, each selector option names a display element id.
 */
import { finding, type Finding } from '../errors.js';
import { displayElements, subPropertiesOf, type DocPath } from '../manifest/display.js';
import { isJsonObject, type JsonValue, type ManifestSource } from '../manifest/document.js';
import type { Property, Side } from '../kinds/property.js';

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

type Where = { property: string; line?: number };

/** Every finding about the references of `display`, `report` and `selector`. */
export function checkReferences(source: ManifestSource, sides: Record<Side, Property[]>): Finding[] {
  const out: Finding[] = [];
  const where = (path: DocPath): Where => {
    const line = source.lineOf(path);
    return { property: path.join('/'), ...(line === undefined ? {} : { line }) };
  };
  const check = (value: JsonValue | undefined, path: DocPath): Property | undefined =>
    checkPointer(value, path, sides, where, out);
  const doc = source.document;
  const ids = new Set<string>();
  for (const { element, path } of displayElements(doc['display'])) {
    if (!isJsonObject(element)) continue;
    if (typeof element['id'] === 'string') ids.add(element['id']);
    check(element['content'], [...path, 'content']);
  }
  const display = doc['display'];
  if (isJsonObject(display)) check(display['result-summary'], ['display', 'result-summary']);
  const report = doc['report'];
  if (isJsonObject(report) && Array.isArray(report['findings'])) {
    report['findings'].forEach((f, i) => {
      if (!isJsonObject(f)) return;
      const path = ['report', 'findings', i, 'value'];
      const target = check(f['value'], path);
      if (target) out.push(...checkSubProperties(f['value'], target, path, where));
    });
  }
  out.push(...checkSelector(doc['selector'], ids, where));
  return out;
}

/**
 * Checks one `{pointer: {source, property}}`; returns the property it names when it exists on
 * its side. A property that exists only on the other side is a warning, not an error: the
 * reference's own display example (REF.md) and the official examples point `source: input` at
 * an output, and the platform runs them.
 */
function checkPointer(
  value: JsonValue | undefined,
  path: DocPath,
  sides: Record<Side, Property[]>,
  where: (path: DocPath) => Where,
  out: Finding[],
): Property | undefined {
  if (!isJsonObject(value) || !isJsonObject(value['pointer'])) return undefined;
  const { source: side, property } = value['pointer'];
  if ((side !== 'input' && side !== 'output') || typeof property !== 'string') return undefined;
  const props = side === 'input' ? sides.in : sides.out;
  const found = findProperty(props, property);
  if (found) return found;
  const other = side === 'input' ? 'output' : 'input';
  const at = { ...where([...path, 'pointer', 'property']), property: path.join('/') };
  if (findProperty(side === 'input' ? sides.out : sides.in, property)) {
    out.push(
      finding(
        'BERTH_E_POINTER_SIDE',
        `The pointer says source: ${side}, but ${JSON.stringify(property)} is an ${other} property`,
        { ...at, severity: 'warning', expected: `source: ${other}` },
      ),
    );
    return undefined;
  }
  out.push(
    finding(
      'BERTH_E_POINTER_TARGET',
      `The pointer names ${side} property ${JSON.stringify(property)}, which does not exist`,
      {
        ...at,
        expected: `one of the ${side} properties: ${props.map((p) => p.name).join(', ') || '(none)'}`,
      },
    ),
  );
  return undefined;
}

/** Each `sub-properties` name must be a member of the pointed array's items. */
function checkSubProperties(
  value: JsonValue | undefined,
  target: Property,
  path: DocPath,
  where: (path: DocPath) => Where,
): Finding[] {
  const pointer = isJsonObject(value) && isJsonObject(value['pointer']) ? value['pointer'] : undefined;
  const sub = pointer && subPropertiesOf(pointer);
  if (!sub) return [];
  const subPath = [...path, 'pointer', 'sub-properties'];
  const members = target.items?.properties;
  if (!members) {
    return [
      finding(
        'BERTH_E_SUB_PROPERTY',
        `sub-properties need a pointer to an array of objects; ${JSON.stringify(target.name)} is not one`,
        { ...where(subPath), expected: 'a property {type: array, items: {type: object, properties: {...}}}' },
      ),
    ];
  }
  const names = members.map((m) => m.name);
  return Object.keys(sub)
    .filter((name) => !names.includes(name))
    .map((name) =>
      finding(
        'BERTH_E_SUB_PROPERTY',
        `sub-property ${JSON.stringify(name)} is not a member of the items of ${JSON.stringify(target.name)}`,
        { ...where([...subPath, name]), expected: `one of: ${names.join(', ') || '(none)'}` },
      ),
    );
}

/** Each selector option (and the default) must be the id of a display element. */
function checkSelector(
  selector: JsonValue | undefined,
  ids: ReadonlySet<string>,
  where: (path: DocPath) => Where,
): Finding[] {
  if (!isJsonObject(selector) || !isJsonObject(selector['selector-config'])) return [];
  const config = selector['selector-config'];
  const named: [JsonValue | undefined, DocPath][] = [];
  if (Array.isArray(config['choose-options'])) {
    config['choose-options'].forEach((o, i) =>
      named.push([o, ['selector', 'selector-config', 'choose-options', i]]),
    );
  }
  named.push([config['default-option'], ['selector', 'selector-config', 'default-option']]);
  return named
    .filter((n): n is [string, DocPath] => typeof n[0] === 'string' && !ids.has(n[0]))
    .map(([option, path]) =>
      finding(
        'BERTH_E_SELECTOR_OPTION',
        `Selector option ${JSON.stringify(option)} is not a display element id`,
        {
          ...where(path),
          expected: `one of the display-elements ids: ${[...ids].join(', ') || '(no display element has an id)'}`,
        },
      ),
    );
}
