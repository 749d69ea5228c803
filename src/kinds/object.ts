import { isJsonObject } from '../manifest/document.js';
import { CONTAINER_COMPARISON, NO_SPEC } from './define-helpers.js';
import type { KindDefinition, Property } from './kind.js';
import { caseMapping, MEMBERS_WIRE } from './value-facets.js';
import { describe, MEMBERS_SCHEMA, reportKeyword } from './keywords.js';

/** `type: object` with `properties` — a directory holding one entry per member. */
export const objectKind: KindDefinition<'object', null> = {
  name: 'object',
  recognisedBy: 'type',
  recognise: (def) => def['type'] === 'object',
  keywords: { properties: MEMBERS_SCHEMA },
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
      return { spec: NO_SPEC, properties: [] };
    }
    const properties: Property[] = [];
    for (const [name, member] of Object.entries(members)) {
      const p = ctx.resolve(name, member, [...ctx.pointer, 'properties', name], `${ctx.path}/${name}`);
      if (p) properties.push(p);
    }
    return { spec: NO_SPEC, properties };
  },
  label: () => 'object',
  shape: 'object',
  storage: { form: 'container' },
  model: (p) => ({ type: 'record', members: p.properties ?? [], survival: false }),
  jsonSchema: (p, ctx) => ({ ...ctx.described(p), ...ctx.members(p.properties ?? []) }),
  comparison: CONTAINER_COMPARISON,
  typescript: (p, t) => t.objectType(p, p.properties ?? [], 'named'),
  synth: (p, ctx) => ctx.members(p.properties ?? []),
  fromCase: (value, p, ctx) => caseMapping(value, p.name, ctx),
  wire: MEMBERS_WIRE,
};
