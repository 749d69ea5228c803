import { isJsonObject } from '../manifest/document.js';
import type { KindDefinition, Property } from './property.js';
import { describe, reportKeyword } from './keywords.js';

/** `type: object` with `properties` — a directory holding one entry per member. */
export const objectKind: KindDefinition = {
  name: 'object',
  recognisedBy: 'type',
  recognise: (def) => def['type'] === 'object',
  shape: 'object',
  keywords: ['properties'],
  define(def, ctx) {
    const members = def['properties'];
    if (!isJsonObject(members)) {
      reportKeyword(
        ctx,
        'BERTH_E_OBJECT_PROPERTIES',
        'properties',
        `An object needs a properties mapping, got ${describe(members)}`,
        'properties: {name: definition, ...}',
      );
      return { properties: [] };
    }
    const properties: Property[] = [];
    for (const [name, member] of Object.entries(members)) {
      const p = ctx.resolve(name, member, [...ctx.pointer, 'properties', name], `${ctx.path}/${name}`);
      if (p) properties.push(p);
    }
    return { properties };
  },
  label: () => 'object',
  typescript: (p, t) => t.objectType(p, p.properties ?? [], 'named'),
};
