import type { JsonObject } from '../manifest/document.js';
import type {
  CompareMethod,
  Comparison,
  JsonSchema,
  KindDefinition,
  Property,
  ValueKeywords,
} from './kind.js';

/** The facets a kind recognised by its `type` keyword spells out; `byType` adds the rest. */
type TypeFacets<N extends string, S> = Omit<KindDefinition<N, S>, 'name' | 'recognisedBy' | 'recognise'>;

/** A kind recognised by its `type` keyword (`type: integer`). */
export function byType<N extends string, S>(name: N, facets: TypeFacets<N, S>): KindDefinition<N, S> {
  return {
    name,
    recognisedBy: 'type',
    // `enum` with `type: string` is an enum (JSON Schema writes it that way); see enum.ts.
    recognise: (def: JsonObject) => def['type'] === name && !(name === 'string' && 'enum' in def),
    ...facets,
  };
}

/** The methods that compare a value stored as text: equality of the value, of the bytes, or presence. */
export const TEXT_METHODS: readonly CompareMethod[] = ['exact', 'hash', 'presence'];

/** Text kinds holding numbers also compare within a tolerance. */
export const NUMBER_METHODS: readonly CompareMethod[] = ['exact', 'numeric', 'hash', 'presence'];

/** A kind compared with one method unless told otherwise. */
export function comparedBy(method: CompareMethod, accepts: readonly CompareMethod[]): Comparison {
  return { accepts, defaultMethod: () => method };
}

/** Containers are walked member by member; only `presence` compares the container itself. */
export const CONTAINER_COMPARISON: Comparison = { accepts: ['presence'], defaultMethod: () => undefined };

/** The keywords of `keys` that are set, as JSON Schema keywords. */
export function pickKeywords(k: ValueKeywords, keys: readonly (keyof ValueKeywords)[]): JsonSchema {
  const out: JsonSchema = {};
  for (const key of keys) if (k[key] !== undefined) out[key] = k[key];
  return out;
}

/** The numeric range keywords that are set, each passed through `scale` (percent → fraction). */
export function numericSchema(k: ValueKeywords, scale: (n: number) => number = (n) => n): JsonSchema {
  const out: JsonSchema = {};
  for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'] as const) {
    const v = k[key];
    if (v !== undefined) out[key] = scale(v);
  }
  return out;
}

/** A kind with nothing of its own to read from its definition beyond the common fields. */
export const NO_SPEC = null;

/** The label most kinds use: their name. */
export const nameLabel = (p: Property): string => p.kind;
