/**
 * JSON Schema (2020-12, the dialect of OpenAPI 3.1) of the JSON wire document of a schema side:
 * what a client sends as inputs and gets back as outputs. One rule per kind, the way the JSON
 * wire encoding carries it: primitives as themselves (a percentage as its fraction, 85 % = 0.85),
 * date-times as ISO-8601 text, files as base64 text, ndarrays as Chains' `NumpyArrayField`
 * object, DICOM as base64 Part 10 files (a list of them for series and studies), objects and arrays nested. Nullable properties
 * are not required (and may be `null`, which means absent).
 */
import type { Property } from '../../kinds/property.js';
import { shiftDecimal } from '../../kinds/percentage.js';

/** A JSON Schema as a plain object. */
export type JsonSchema = Record<string, unknown>;

/** Where the shared `NumpyArrayField` schema lives in the OpenAPI document. */
export const NDARRAY_REF = '#/components/schemas/NumpyArrayField';

/** Chains' `NumpyArrayField` in JSON mode (with the key Chains really reads: `data_b64`). */
export const NUMPY_ARRAY_FIELD: JsonSchema = {
  type: 'object',
  description:
    "Baseten Chains' NumpyArrayField: C-order bytes as base64, the shape, and numpy's dtype name " +
    '(`float64`, `uint8`, or a byte-order form such as `<f8`, `>i4`).',
  properties: {
    data_b64: { type: 'string', contentEncoding: 'base64' },
    shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
    dtype: { type: 'string' },
  },
  required: ['data_b64', 'shape', 'dtype'],
};

/** One DICOM instance: a Part 10 file as base64. */
const DICOM_INSTANCE: JsonSchema = {
  type: 'string',
  contentEncoding: 'base64',
  contentMediaType: 'application/dicom',
};

/** The JSON Schema of a whole side: an object with one member per property. */
export function sideSchema(props: readonly Property[], title: string): JsonSchema {
  return { title, ...membersSchema(props) };
}

function membersSchema(props: readonly Property[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const p of props) properties[p.name] = p.nullable ? orNull(propertySchema(p)) : propertySchema(p);
  const required = props.filter((p) => !p.nullable).map((p) => p.name);
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}

/** The JSON Schema of one property's value (its nullability is the caller's). */
export function propertySchema(p: Property): JsonSchema {
  const k = p.keywords;
  const described: JsonSchema = {
    ...(p.title === undefined ? {} : { title: p.title }),
    ...(p.description === undefined ? {} : { description: p.description }),
  };
  switch (p.kind) {
    case 'string':
      return {
        ...described,
        type: 'string',
        ...pick(k, ['minLength', 'maxLength', 'pattern', 'format']),
      };
    case 'enum':
      return { ...described, type: 'string', enum: [...(p.enumValues ?? [])] };
    case 'date-time':
      return { ...described, type: 'string', format: 'date-time' };
    case 'boolean':
      return { ...described, type: 'boolean' };
    case 'integer':
    case 'number':
      return { ...described, type: p.kind, ...numeric(k, (n) => n) };
    case 'percentage':
      // Keywords are written in percent; the wire value is the fraction.
      return {
        ...described,
        type: 'number',
        ...numeric(k, (n) => Number(shiftDecimal(String(n), -2))),
      };
    case 'file':
      return {
        ...described,
        type: 'string',
        contentEncoding: 'base64',
        ...(p.mimeType === undefined ? {} : { contentMediaType: p.mimeType }),
      };
    case 'ndarray':
      return { ...described, ...ndarraySchema(p) };
    case 'dicom-image':
      return { ...described, ...DICOM_INSTANCE };
    case 'dicom-series':
    case 'dicom-study':
      return {
        ...described,
        type: 'array',
        description: (p.description ? `${p.description}\n\n` : '') + 'The DICOM instances, in any order.',
        items: DICOM_INSTANCE,
        minItems: 1,
      };
    case 'object':
    case 'survival':
      return { ...described, ...membersSchema(p.properties ?? []) };
    case 'array':
      return {
        ...described,
        type: 'array',
        items: p.items ? propertySchema(p.items) : {},
        ...pick(k, ['minItems', 'maxItems']),
      };
    default:
      return unreachable(p.kind);
  }
}

/** An ndarray: the NumpyArrayField, with the declared rank (and fixed extents) when there is one. */
function ndarraySchema(p: Property): JsonSchema {
  const spec = p.ndarray ?? {};
  const notes = [
    spec.dtype === undefined ? undefined : `dtype ${spec.dtype}`,
    spec.shape === undefined ? undefined : `shape [${spec.shape.map((n) => n ?? '*').join(', ')}]`,
  ].filter((t): t is string => t !== undefined);
  if (spec.shape === undefined) {
    return notes.length === 0 ? { $ref: NDARRAY_REF } : { $ref: NDARRAY_REF, description: notes.join(', ') };
  }
  const extents = spec.shape.map((n) => (n === null ? { type: 'integer', minimum: 0 } : { const: n }));
  return {
    $ref: NDARRAY_REF,
    description: notes.join(', '),
    type: 'object',
    properties: {
      shape: {
        type: 'array',
        prefixItems: extents,
        items: false,
        minItems: extents.length,
        maxItems: extents.length,
      },
    },
  };
}

function numeric(k: Property['keywords'], scale: (n: number) => number): JsonSchema {
  const out: JsonSchema = {};
  for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'] as const) {
    const v = k[key];
    if (v !== undefined) out[key] = scale(v);
  }
  return out;
}

function pick(k: Property['keywords'], keys: readonly (keyof Property['keywords'])[]): JsonSchema {
  const out: JsonSchema = {};
  for (const key of keys) if (k[key] !== undefined) out[key] = k[key];
  return out;
}

/** A schema that also admits `null` (a nullable property given as null: the same as absent). */
function orNull(schema: JsonSchema): JsonSchema {
  return { anyOf: [schema, { type: 'null' }] };
}

function unreachable(kind: never): never {
  throw new Error(`no JSON Schema for kind ${String(kind)}`);
}
