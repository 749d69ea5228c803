import type { Finding } from '../errors.js';
import type { JsonObject, JsonValue, LineLookup } from '../manifest/document.js';
import type { LayoutShape } from '../tree/layout-node.js';
import type { LeafIO } from './leaf.js';
import type { TextForm } from './value.js';

/** Which side of a machine a property belongs to. */
export type Side = 'in' | 'out';

/** The manifest key holding each side's schema. */
export const SIDE_KEY: Record<Side, 'schema-in' | 'schema-out'> = { in: 'schema-in', out: 'schema-out' };

/** Every kind berth knows, EnvoyAI's and berth's own extensions. */
export type KindName =
  | 'string'
  | 'enum'
  | 'date-time'
  | 'boolean'
  | 'integer'
  | 'number'
  | 'percentage'
  | 'file'
  | 'dicom-image'
  | 'dicom-series'
  | 'dicom-study'
  | 'object'
  | 'array'
  | 'ndarray'
  | 'survival';

/** Standard JSON Schema keywords kept on a property for value checks. */
export interface ValueKeywords {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minItems?: number;
  maxItems?: number;
}

/** The DICOM constraining properties of the reference, typed. */
export interface DicomConstraints {
  /** Accepted transfer syntaxes (`transfer-syntax-uid`). */
  transferSyntaxUids?: string[];
  /** Instances in the series (`series-related-instances`). */
  seriesRelatedInstances?: number;
  /** Instances per series, one entry per series (`study-related-series`). */
  studyRelatedSeries?: number[];
  /** Instances in the whole study (`study-related-instances`). */
  studyRelatedInstances?: number;
  /** Accepted SOP class UIDs (`sop-classes`). */
  sopClasses?: string[];
  /** Accepted modalities (`modalities`). */
  modalities?: string[];
}

/** The DICOM descriptive properties of the reference (never enforced). */
export interface DicomDescription {
  studyDescription?: string;
  seriesDescription?: string;
  seriesDescriptionsArray?: string[];
}

/** The dtypes an `ndarray` property may declare. */
export const NDARRAY_DTYPES = [
  'bool',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'float16',
  'float32',
  'float64',
  'complex64',
  'complex128',
] as const;

/** One `ndarray` dtype name. */
export type NdarrayDtypeName = (typeof NDARRAY_DTYPES)[number];

/**
 * One property of a schema, with its kind resolved.
 *
 * `path` is the property's path inside the manifest, e.g. `schema-in/scans/[]/image`
 * (`[]` stands for an array's items).
 */
export interface Property {
  readonly name: string;
  readonly path: string;
  readonly side: Side;
  readonly kind: KindName;
  readonly nullable: boolean;
  readonly title?: string;
  readonly description?: string;
  readonly keywords: ValueKeywords;
  /** The definition as written. */
  readonly raw: JsonObject;
  /** `enum`: the allowed values. */
  readonly enumValues?: readonly string[];
  /** `file`: the declared media type. */
  readonly mimeType?: string;
  /** DICOM kinds: constraints and descriptions. */
  readonly dicom?: { constraints: DicomConstraints; description: DicomDescription };
  /** `ndarray`: declared dtype and shape (`null` = any extent). */
  readonly ndarray?: { dtype?: NdarrayDtypeName; shape?: (number | null)[] };
  /** `object`: members, in declaration order. */
  readonly properties?: readonly Property[];
  /** `array`: the item definition. */
  readonly items?: Property;
  /** berth's per-property extension (`berth:` key), e.g. comparison tolerances. */
  readonly berth?: JsonObject;
}

/** What a kind's definition step gets to work with. */
export interface DefineContext {
  readonly side: Side;
  /** The property's manifest path, for findings. */
  readonly path: string;
  /** Pointer segments into the manifest document, for line numbers. */
  readonly pointer: readonly (string | number)[];
  readonly lineOf: LineLookup;
  /** Where findings go. */
  report(f: Finding): void;
  /** Resolves a nested definition (object members, array items). */
  resolve(
    name: string,
    def: JsonValue,
    pointer: readonly (string | number)[],
    path: string,
  ): Property | undefined;
}

/**
 * How values of a property are typed in TypeScript (`berth types`): as machine code reads them
 * (`Inputs`) and as writes accept them (`Outputs`). The strings are TypeScript type expressions;
 * types from berth and named interfaces must come from the {@link TypeContext}, never be spelled
 * out, so that the generated module imports and declares exactly what it uses.
 */
export interface TsType {
  /** The type of a value as read, e.g. `IsoDateTime`. */
  readonly read: string;
  /** The type of the values a write accepts, e.g. `Date | string`. */
  readonly write: string;
  /** A remark put beside the member in the generated module (e.g. why its type is `unknown`). */
  readonly note?: string;
}

/** What a kind's `typescript` step gets: recursion into nested properties, berth's own types. */
export interface TypeContext {
  /** The types of a nested property, e.g. an array's items (nullability is the caller's). */
  typeOf(p: Property): TsType;
  /**
   * An object type with these members (nullable ones optional): `named` declares an exported
   * interface named after the property's path, `inline` writes `{ a: …; b: … }` in place.
   */
  objectType(p: Property, members: readonly Property[], style: 'named' | 'inline'): TsType;
  /** A type exported by berth (`FileHandle`, `NdArrayOf` …): imported when used; write it as returned. */
  berth(name: string): string;
  /** A string literal type for the text (quoted and escaped). */
  literal(text: string): string;
  /** An array type of `item`, parenthesised where needed (`('a' | 'b')[]`). */
  arrayOf(item: string): string;
}

/**
 * One kind, in the same shape as every other: how the reference recognises it in a schema,
 * how it lives in a tree, and how its definition is checked and typed.
 * Reading, writing, checking and comparing values join this shape in later layers.
 */
export interface KindDefinition {
  readonly name: KindName;
  /** The recognising keyword of the reference (`dicom-type`, `mime-type`, `enum`, `type`). */
  readonly recognisedBy: 'dicom-type' | 'mime-type' | 'enum' | 'type';
  /** True when this kind claims the definition. Several claiming one definition is an error. */
  recognise(def: JsonObject): boolean;
  /** How the property occupies a tree. */
  readonly shape: LayoutShape;
  /** Keywords meaningful on this kind beyond the common ones (title, description, nullable, …). */
  readonly keywords: readonly string[];
  /** Checks the kind-specific part of the definition and fills the kind-specific fields. */
  define(def: JsonObject, ctx: DefineContext): Partial<Property>;
  /** A short label for layouts and messages, e.g. `integer`, `image/png`. */
  label(p: Property): string;
  /** Primitive kinds: the text form of a value file. */
  readonly text?: TextForm<unknown>;
  /** Kinds stored as one non-text file: how that file is checked, read and written. */
  readonly leaf?: LeafIO;
  /** How the kind's values are typed in TypeScript, read and written (`berth types`). */
  typescript(p: Property, t: TypeContext): TsType;
}
