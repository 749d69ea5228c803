import { isJsonObject } from '../manifest/document.js';
import { CONTAINER_COMPARISON, NO_SPEC, pickKeywords } from './define-helpers.js';
import type { KindDefinition, ValueKeywords, ValueProblem } from './kind.js';
import { COUNT_SCHEMA, countKeyword, DEFINITION_SCHEMA, describe, reportKeyword } from './keywords.js';

/** The name an array's items go by in property paths (`scans/[]/image`). */
export const ITEMS_NAME = '[]';

/**
 * Why `count` items break an array's minItems/maxItems, or undefined when they fit: the one
 * item-count rule of the tree check, the readers, the writers and the wire decoder.
 * `subject` names the array in the message (`The array`, or its property name).
 */
export function itemCountProblem(count: number, k: ValueKeywords, subject: string): ValueProblem | undefined {
  const { minItems, maxItems } = k;
  if ((minItems === undefined || count >= minItems) && (maxItems === undefined || count <= maxItems)) {
    return undefined;
  }
  return {
    code: 'BERTH_E_VALUE_CONSTRAINT',
    message: `${subject} has ${count} items`,
    expected: `between ${minItems ?? 0} and ${maxItems ?? '∞'} items`,
  };
}

/** `type: array` with `items` — a directory of entries named 0..n-1, each an item. */
export const arrayKind: KindDefinition<'array', null> = {
  name: 'array',
  recognisedBy: 'type',
  recognise: (def) => def['type'] === 'array',
  keywords: { items: DEFINITION_SCHEMA, minItems: COUNT_SCHEMA, maxItems: COUNT_SCHEMA },
  define(def, ctx) {
    const keywords: { minItems?: number; maxItems?: number } = {};
    const minItems = countKeyword(def, 'minItems', ctx);
    const maxItems = countKeyword(def, 'maxItems', ctx);
    if (minItems !== undefined) keywords.minItems = minItems;
    if (maxItems !== undefined) keywords.maxItems = maxItems;
    if (minItems !== undefined && maxItems !== undefined && minItems > maxItems) {
      reportKeyword(
        ctx,
        'BERTH_E_RANGE_EMPTY',
        'minItems',
        `minItems ${minItems} is greater than maxItems ${maxItems}`,
        'minItems ≤ maxItems',
      );
    }
    const items = def['items'];
    if (!isJsonObject(items)) {
      reportKeyword(
        ctx,
        'BERTH_E_ARRAY_ITEMS',
        'items',
        `An array needs an items definition, got ${describe(items)}`,
        'items: {a property definition}',
      );
      return { spec: NO_SPEC, keywords };
    }
    const item = ctx.resolve(ITEMS_NAME, items, [...ctx.pointer, 'items'], `${ctx.path}/${ITEMS_NAME}`);
    return item ? { spec: NO_SPEC, keywords, items: item } : { spec: NO_SPEC, keywords };
  },
  label: () => 'array',
  shape: 'array',
  storage: { form: 'container' },
  model: (p) => (p.items ? { type: 'list', items: p.items } : { type: 'list' }),
  jsonSchema: (p, ctx) => ({
    ...ctx.described(p),
    type: 'array',
    items: p.items ? ctx.of(p.items) : {},
    ...pickKeywords(p.keywords, ['minItems', 'maxItems']),
  }),
  comparison: CONTAINER_COMPARISON,
  typescript(p, t) {
    if (!p.items) return { read: 'unknown[]', write: 'unknown[]' };
    const item = t.typeOf(p.items);
    return {
      read: t.arrayOf(item.read),
      write: t.arrayOf(item.write),
      ...(item.note === undefined ? {} : { note: item.note }),
    };
  },
  synth(p, ctx) {
    const { minItems, maxItems } = p.keywords;
    // At least one item whenever maxItems allows: an empty array exercises little.
    const lo = Math.max(minItems ?? 0, Math.min(1, maxItems ?? 1));
    const hi = Math.max(lo, Math.min(maxItems ?? Math.max(lo, 3), Math.max(lo, 3)));
    const count = Math.max(lo + Math.floor(ctx.rand() * (hi - lo + 1)), ctx.pinnedItems);
    return p.items ? ctx.items(p.items, count) : [];
  },
  fromCase(value, p, ctx) {
    if (!Array.isArray(value)) throw ctx.refuse(`${p.name} takes a list`);
    return value;
  },
  wire: {
    encode: (value, p, ctx) => (p.items ? ctx.items(p.items, value as unknown[]) : []),
    decode: (value, _p, ctx) => ctx.items(value),
  },
};
