import { isJsonObject } from '../manifest/document.js';
import { CONTAINER_COMPARISON, NO_SPEC, pickKeywords } from './define-helpers.js';
import type { KindDefinition } from './kind.js';
import { countKeyword, describe, reportKeyword } from './keywords.js';

/** The name an array's items go by in property paths (`scans/[]/image`). */
export const ITEMS_NAME = '[]';

/** `type: array` with `items` — a directory of entries named 0..n-1, each an item. */
export const arrayKind: KindDefinition<'array', null> = {
  name: 'array',
  recognisedBy: 'type',
  recognise: (def) => def['type'] === 'array',
  keywords: ['items', 'minItems', 'maxItems'],
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
};
