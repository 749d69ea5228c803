import type { KindDefinition } from './property.js';
import { bad, ok, quote, stripOneNewline, type TextForm } from './value.js';
import { describe, reportKeyword } from './keywords.js';

/** `enum: [...]` — one of the listed strings in one file. `type: string` may accompany it. */
export const enumKind: KindDefinition = {
  name: 'enum',
  recognisedBy: 'enum',
  // With any other type beside it the definition is ambiguous: that kind claims it too.
  recognise: (def) => 'enum' in def,
  shape: 'file',
  keywords: ['enum', 'type'],
  define(def, ctx) {
    const list = def['enum'];
    if (!Array.isArray(list)) {
      reportKeyword(
        ctx,
        'BERTH_E_KEYWORD_VALUE',
        'enum',
        `enum must be a list, got ${describe(list)}`,
        'a list of strings',
      );
      return { enumValues: [] };
    }
    if (list.length === 0) {
      reportKeyword(ctx, 'BERTH_E_ENUM_EMPTY', 'enum', 'enum lists no values', 'at least one value');
      return { enumValues: [] };
    }
    const seen = new Set<string>();
    const values: string[] = [];
    for (const v of list) {
      if (typeof v !== 'string' || v.length === 0) {
        reportKeyword(
          ctx,
          'BERTH_E_ENUM_VALUE',
          'enum',
          `enum value ${describe(v)} is not a non-empty string (quote numbers and booleans in YAML)`,
          'non-empty strings',
        );
        continue;
      }
      if (seen.has(v)) {
        reportKeyword(
          ctx,
          'BERTH_E_ENUM_DUPLICATE',
          'enum',
          `enum lists ${JSON.stringify(v)} twice`,
          'unique values',
        );
        continue;
      }
      seen.add(v);
      values.push(v);
    }
    return { enumValues: values };
  },
  label: (p) => `enum(${(p.enumValues ?? []).join('|')})`,
  typescript(p, t) {
    const values = p.enumValues ?? [];
    const union = values.length > 0 ? values.map((v) => t.literal(v)).join(' | ') : 'never';
    return { read: union, write: union };
  },
  text: {
    expected: 'one of the enum values',
    parse(text, p) {
      const values = p.enumValues ?? [];
      // An exact match first, so a value that itself ends in a newline still reads back.
      if (values.includes(text)) return ok(text);
      const t = stripOneNewline(text);
      return values.includes(t) ? ok(t) : notInEnum(t, values);
    },
    format(value, p) {
      if (typeof value !== 'string') {
        return bad('BERTH_E_VALUE_TYPE', `An enum property takes a string, not ${typeof value}`);
      }
      return (p.enumValues ?? []).includes(value) ? ok(value) : notInEnum(value, p.enumValues ?? []);
    },
  } satisfies TextForm<string>,
};

function notInEnum(value: string, values: readonly string[]) {
  return bad(
    'BERTH_E_VALUE_ENUM',
    `${quote(value)} is not one of the enum values`,
    `one of ${values.join(', ')}`,
  );
}
