/**
 * The property definition of the manifest JSON Schema (schemas/machine.schema.json), from the
 * kinds: the build (scripts/sync-schema-kinds.mjs) writes it into the committed file, and
 * test/kinds/manifest-schema.test.ts fails when the file is stale. A kind brings its keywords
 * and their schemas in its own file (the `keywords` facet); nothing here names a kind.
 *
 * Only the build and the tests import this module: no command loads it.
 */
import { COMMON_KEYWORD_SCHEMAS, RECOGNISERS } from './keywords.js';
import type { JsonSchema, KindDefinition } from './kind.js';

/** What this module reads of a kind. */
export type KindKeywords = Pick<KindDefinition, 'name' | 'recognisedBy' | 'keywords'>;

/** The recognising keywords whose values are kind names (`type: integer`, `dicom-type: dicom-image`). */
const NAMED_BY_VALUE: ReadonlySet<string> = new Set(['type', 'dicom-type']);

/** A schema that allows exactly one value. */
function constOf(schema: JsonSchema): { const: unknown } | undefined {
  const keys = Object.keys(schema);
  return keys.length === 1 && keys[0] === 'const' ? (schema as { const: unknown }) : undefined;
}

/**
 * The JSON Schema of every keyword a property definition may carry, keyed by keyword: the
 * recognising keywords first, then the common ones, then the kinds' own in registry order. A
 * kind recognised by `type` or `dicom-type` takes its name there; keywords given as `const` by
 * several kinds become one `enum` of their values. Throws when two kinds give one keyword
 * different schemas, or a kind redeclares a common keyword.
 */
export function propertyKeywordSchemas(kinds: readonly KindKeywords[]): Record<string, JsonSchema> {
  const given = new Map<string, { kind: string; schema: JsonSchema }[]>();
  const give = (keyword: string, kind: string, schema: JsonSchema): void => {
    if (Object.hasOwn(COMMON_KEYWORD_SCHEMAS, keyword))
      throw new Error(`The kind ${kind} redeclares the common keyword ${keyword}`);
    given.set(keyword, [...(given.get(keyword) ?? []), { kind, schema }]);
  };
  for (const k of kinds) {
    if (NAMED_BY_VALUE.has(k.recognisedBy) && !Object.hasOwn(k.keywords, k.recognisedBy))
      give(k.recognisedBy, k.name, { const: k.name });
    for (const [keyword, schema] of Object.entries(k.keywords)) give(keyword, k.name, schema);
  }
  const merged = new Map([...given].map(([keyword, list]) => [keyword, mergeSchemas(keyword, list)]));
  const recognisers = [...merged].filter(([keyword]) => RECOGNISERS.includes(keyword));
  const others = [...merged].filter(([keyword]) => !RECOGNISERS.includes(keyword));
  return Object.fromEntries([...recognisers, ...Object.entries(COMMON_KEYWORD_SCHEMAS), ...others]);
}

function mergeSchemas(keyword: string, list: readonly { kind: string; schema: JsonSchema }[]): JsonSchema {
  const consts = list.map((g) => constOf(g.schema));
  if (consts.every((c) => c !== undefined)) {
    return { enum: [...new Set(consts.map((c) => c.const))] };
  }
  const first = list[0]!;
  const other = list.find((g) => JSON.stringify(g.schema) !== JSON.stringify(first.schema));
  if (other) {
    throw new Error(
      `The kinds ${first.kind} and ${other.kind} give the keyword ${keyword} different JSON Schemas: share one`,
    );
  }
  return first.schema;
}

/** The machine schema with its property definition's keywords taken from `kinds`. */
export function withKindKeywords(
  schema: { definitions: Record<string, JsonSchema> },
  kinds: readonly KindKeywords[],
): { definitions: Record<string, JsonSchema> } {
  const property = schema.definitions['property'];
  if (!property) throw new Error('The machine schema has no property definition');
  return {
    ...schema,
    definitions: {
      ...schema.definitions,
      property: { ...property, properties: propertyKeywordSchemas(kinds) },
    },
  };
}
