import { CONTAINER_COMPARISON, NO_SPEC } from './define-helpers.js';
import type { KindDefinition, Property } from './kind.js';
import { caseMapping, MEMBERS_WIRE } from './value-facets.js';
import { MEMBERS_SCHEMA, reportKeyword } from './keywords.js';

/**
 * `type: survival` (berth's extension, for EIR's survival outputs) — a directory holding
 * `event` (boolean: the event happened) and `time` (number: time to event or censoring).
 */
export const survivalKind: KindDefinition<'survival', null> = {
  name: 'survival',
  recognisedBy: 'type',
  recognise: (def) => def['type'] === 'survival',
  // Listed so that a stray `properties` gets the survival-specific finding below.
  keywords: { properties: MEMBERS_SCHEMA },
  define(def, ctx) {
    if ('properties' in def) {
      reportKeyword(
        ctx,
        'BERTH_E_SURVIVAL_DEFINITION',
        'properties',
        'A survival property has the fixed members event and time; remove properties',
      );
    }
    const member = (name: 'event' | 'time', type: 'boolean' | 'number'): Property | undefined =>
      ctx.resolve(name, { type }, ctx.pointer, `${ctx.path}/${name}`);
    const event = member('event', 'boolean');
    const time = member('time', 'number');
    return { spec: NO_SPEC, properties: [event, time].filter((p): p is Property => p !== undefined) };
  },
  label: () => 'survival',
  shape: 'object',
  storage: { form: 'container' },
  model: (p) => ({ type: 'record', members: p.properties ?? [], survival: true }),
  jsonSchema: (p, ctx) => ({ ...ctx.described(p), ...ctx.members(p.properties ?? []) }),
  comparison: CONTAINER_COMPARISON,
  typescript: (p, t) => t.objectType(p, p.properties ?? [], 'inline'),
  synth: (p, ctx) => ctx.members(p.properties ?? []),
  fromCase: (value, p, ctx) => caseMapping(value, p.name, ctx),
  wire: MEMBERS_WIRE,
};
