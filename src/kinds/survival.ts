import type { KindDefinition, Property } from './property.js';
import { reportKeyword } from './keywords.js';

/**
 * `type: survival` (berth's extension, for EIR's survival outputs) — a directory holding
 * `event` (boolean: the event happened) and `time` (number: time to event or censoring).
 */
export const survivalKind: KindDefinition = {
  name: 'survival',
  recognisedBy: 'type',
  recognise: (def) => def['type'] === 'survival',
  shape: 'object',
  // Listed so that a stray `properties` gets the survival-specific finding below.
  keywords: ['properties'],
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
    return { properties: [event, time].filter((p): p is Property => p !== undefined) };
  },
  label: () => 'survival',
  typescript: (p, t) => t.objectType(p, p.properties ?? [], 'inline'),
};
