/**
 * JSON Schema (2020-12, the dialect of OpenAPI 3.1) of the JSON wire document of a schema side:
 * what a client sends as inputs and gets back as outputs. One rule per kind (its `jsonSchema` facet), the way the JSON
 * wire encoding carries it: primitives as themselves (a percentage as its fraction, 85 % = 0.85),
 * date-times as ISO-8601 text, files as base64 text, ndarrays as Chains' `NumpyArrayField`
 * object, DICOM as base64 Part 10 files (a list of them for series and studies), objects and arrays nested. Nullable properties
 * are not required (and may be `null`, which means absent).
 */
import type { JsonSchema, Property, SchemaContext } from '../../kinds/kind.js';
import { kindOf } from '../../kinds/registry.js';

export type { JsonSchema } from '../../kinds/kind.js';

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

/** How the JSON wire document carries what kinds leave to it: bytes, arrays, DICOM instances. */
const JSON_WIRE: SchemaContext = {
  described: (p) => ({
    ...(p.title === undefined ? {} : { title: p.title }),
    ...(p.description === undefined ? {} : { description: p.description }),
  }),
  of: (p) => propertySchema(p),
  members: (props) => membersSchema(props),
  bytes: (mimeType) => ({
    type: 'string',
    contentEncoding: 'base64',
    ...(mimeType === undefined ? {} : { contentMediaType: mimeType }),
  }),
  tensor: ndarraySchema,
  dicomInstance: () => DICOM_INSTANCE,
};

/** The JSON Schema of one property's value (its nullability is the caller's): its kind's facet. */
export function propertySchema(p: Property): JsonSchema {
  return kindOf(p.kind).jsonSchema(p, JSON_WIRE);
}

/** An ndarray: the NumpyArrayField, with the declared rank (and fixed extents) when there is one. */
function ndarraySchema(dtype?: string, shape?: readonly (number | null)[]): JsonSchema {
  const notes = [
    dtype === undefined ? undefined : `dtype ${dtype}`,
    shape === undefined ? undefined : `shape [${shape.map((n) => n ?? '*').join(', ')}]`,
  ].filter((t): t is string => t !== undefined);
  if (shape === undefined) {
    return notes.length === 0 ? { $ref: NDARRAY_REF } : { $ref: NDARRAY_REF, description: notes.join(', ') };
  }
  const extents = shape.map((n) => (n === null ? { type: 'integer', minimum: 0 } : { const: n }));
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

/** A schema that also admits `null` (a nullable property given as null: the same as absent). */
function orNull(schema: JsonSchema): JsonSchema {
  return { anyOf: [schema, { type: 'null' }] };
}
