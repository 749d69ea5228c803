import { comparedBy, TEXT_METHODS } from './define-helpers.js';
import { asCaseValue, SCALAR_WIRE } from './value-facets.js';
import type { KindDefinition, Property } from './kind.js';
import { bad, ok, quote, stripOneNewline, type TextForm } from './value.js';

/** An enum's spec: its values, in the order written, without repeats. */
export interface EnumSpec {
  readonly values: readonly string[];
}

/** The values of an `enum` property, or undefined for any other kind. */
export function enumValuesOf(p: Property): readonly string[] | undefined {
  return p.kind === 'enum' ? (p as Property<EnumSpec>).spec.values : undefined;
}
import { describe, reportKeyword } from './keywords.js';

/** `enum: [...]` — one of the listed strings in one file. `type: string` may accompany it. */
export const enumKind: KindDefinition<'enum', EnumSpec> = {
  name: 'enum',
  recognisedBy: 'enum',
  // With any other type beside it the definition is ambiguous: that kind claims it too.
  recognise: (def) => 'enum' in def,
  keywords: {
    enum: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, uniqueItems: true },
    type: { const: 'string' },
  },
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
      return { spec: { values: [] } };
    }
    if (list.length === 0) {
      reportKeyword(ctx, 'BERTH_E_ENUM_EMPTY', 'enum', 'enum lists no values', 'at least one value');
      return { spec: { values: [] } };
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
    return { spec: { values } };
  },
  label: (p) => `enum(${p.spec.values.join('|')})`,
  typescript(p, t) {
    const values = p.spec.values;
    const union = values.length > 0 ? values.map((v) => t.literal(v)).join(' | ') : 'never';
    return { read: union, write: union };
  },
  shape: 'file',
  storage: { form: 'text', text: enumText() },
  model: (p) => ({ type: 'category', values: p.spec.values }),
  jsonSchema: (p, ctx) => ({ ...ctx.described(p), type: 'string', enum: [...p.spec.values] }),
  comparison: comparedBy('exact', TEXT_METHODS),
  synth: (p, ctx) => p.spec.values[Math.floor(ctx.rand() * p.spec.values.length)],
  fromCase: asCaseValue,
  wire: SCALAR_WIRE,
};

/** An enum value file: exactly one of the values (one trailing newline allowed). */
function enumText(): TextForm<string, EnumSpec> {
  return {
    expected: 'one of the enum values',
    parse(text, p) {
      const values = p.spec.values;
      // An exact match first, so a value that itself ends in a newline still reads back.
      if (values.includes(text)) return ok(text);
      const t = stripOneNewline(text);
      return values.includes(t) ? ok(t) : notInEnum(t, values);
    },
    format(value, p) {
      if (typeof value !== 'string') {
        return bad('BERTH_E_VALUE_TYPE', `An enum property takes a string, not ${typeof value}`);
      }
      return p.spec.values.includes(value) ? ok(value) : notInEnum(value, p.spec.values);
    },
  };
}

function notInEnum(value: string, values: readonly string[]) {
  return bad(
    'BERTH_E_VALUE_ENUM',
    `${quote(value)} is not one of the enum values`,
    `one of ${values.join(', ')}`,
  );
}
