/**
 * The shape every kind has: the `KindDefinition`, its facets, and the `Property` a definition
 * resolves to. Every facet is required, so the compiler asks a new kind every question; a new kind
 * is one file in this folder plus its line in registry.ts, and `KindName` follows the registry.
 *
 * This module imports no kind and no other module of the house: the kind files, the registry and
 * the layers above all import it, never the other way round.
 */
import type { Code, Finding } from '../errors.js';
import type { JsonObject, JsonValue, LineLookup } from '../manifest/document.js';
import type { LayoutShape } from '../tree/layout-node.js';
import type { Side } from '../tree/side.js';
import type { DicomLevel } from '../dicom/constraints.js';
import type { InputUidSource } from '../dicom/output-uids.js';

export type { Side } from '../tree/side.js';

/** The manifest key holding each side's schema. */
export const SIDE_KEY: Record<Side, 'schema-in' | 'schema-out'> = { in: 'schema-in', out: 'schema-out' };

/**
 * The kinds of the registry, by name. Empty here: registry.ts fills it from its list of kinds (a
 * module augmentation), so that {@link KindName} is derived from the registry and never written out.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by registry.ts's augmentation
export interface KindNames {}

/** Every kind berth knows, EnvoyAI's and berth's own extensions: the names of the registry. */
export type KindName = keyof KindNames & string;

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

/**
 * One property of a schema, with its kind resolved. `S` is the kind's own typed reading of its
 * definition (`spec`): an enum's values, a file's media type, an ndarray's dtype and shape, the
 * DICOM constraints. Code outside src/kinds/ reads a spec only through its kind's accessors.
 *
 * `path` is the property's path inside the manifest, e.g. `schema-in/scans/[]/image`
 * (`[]` stands for an array's items).
 */
export interface Property<S = unknown> {
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
  /** The kind's typed spec (see above). */
  readonly spec: S;
  /** Containers: members, in declaration order (an object's, a survival's two). */
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

/** What a kind's `define` returns: its spec, and the common fields it fills. */
export interface Defined<S> {
  readonly spec: S;
  readonly keywords?: ValueKeywords;
  readonly properties?: readonly Property[];
  readonly items?: Property;
}

// ---------------------------------------------------------------------------------------------
// Values and their text

/** Why a value (as text or as a JS value) is not acceptable for its property. */
export interface ValueProblem {
  code: Code;
  message: string;
  expected?: string;
}

/** A value, or the problem that stops it. */
export type Outcome<V> = { ok: true; value: V } | { ok: false; problem: ValueProblem };

/**
 * The text form of a primitive kind: how a file's text becomes a value and back.
 * `parse` and `format` both enforce the property's keywords, so nothing that breaks the schema
 * is ever read silently or written.
 */
export interface TextForm<V, S = unknown> {
  /** The text form in words, for messages: e.g. `True or False`. */
  readonly expected: string;
  parse(text: string, p: Property<S>): Outcome<V>;
  format(value: unknown, p: Property<S>): Outcome<string>;
}

/**
 * How a kind stored as one non-text file (a media file, an `.npy`, a DICOM image) is checked,
 * read and written. Text kinds use {@link TextForm} instead; directories are walked by the tree
 * engines.
 */
export interface LeafIO<R = unknown, S = unknown> {
  /** Checks a file from a prefix where a prefix decides; returns every problem found. */
  check(path: string, size: number, p: Property<S>): Promise<ValueProblem[]>;
  /** Reads the file into the value machine code sees (throws a BerthError when it is wrong). */
  read(path: string, p: Property<S>): Promise<R>;
  /** Validates a value against the property, then writes it atomically (throws a BerthError). */
  write(path: string, value: unknown, p: Property<S>): Promise<void>;
  /** Describes the values `write` accepts, for messages and generated types. */
  readonly accepts: string;
}

/**
 * How a kind's value lives in a tree: as the text of one file, as one non-text file, as DICOM
 * (one Part 10 file, or a folder of them), or as a container walked member by member.
 */
export type Storage<S = unknown> =
  | { readonly form: 'text'; readonly text: TextForm<unknown, S> }
  | { readonly form: 'leaf'; readonly leaf: LeafIO<unknown, S> }
  | DicomStorage<S>
  | { readonly form: 'container' };

/**
 * How a DICOM kind's value lives in a tree — one Part 10 file, or a series or study folder — and
 * how an entry is checked. The check loads the DICOM code on first use, so a machine without
 * DICOM never loads it.
 */
export interface DicomStorage<S = unknown> {
  readonly form: 'dicom';
  readonly level: DicomLevel;
  /** Checks one entry (`abs`: an image file, a series or study folder) on `side`; never throws for bad content. */
  check(p: Property<S>, abs: string, side: Side, ctx: DicomCheckContext): Promise<Finding[]>;
}

/** What a DICOM entry's check needs besides the entry. */
export interface DicomCheckContext {
  /** Outputs: the machine's input UIDs, for the output UID rules (new SOP and series UIDs, the input's study). */
  readonly inputUids?: InputUidSource;
}

// ---------------------------------------------------------------------------------------------
// Protocols: the value model

/**
 * What a kind's values are, format-neutral, for the protocol adapters (EIR, OpenAPI, reports,
 * comparison) that must treat every kind: they switch on `type` exhaustively, so a new kind
 * either maps onto a model they know or the compiler names every adapter to extend.
 */
export type ValueModel =
  | { readonly type: 'text' }
  | { readonly type: 'category'; readonly values: readonly string[] }
  | { readonly type: 'boolean' }
  | { readonly type: 'integer' }
  /** `fraction`: a percentage, held as its fraction (85 % is 0.85). */
  | { readonly type: 'number'; readonly unit?: 'fraction' }
  | { readonly type: 'date-time' }
  | { readonly type: 'tensor'; readonly dtype?: string; readonly shape?: readonly (number | null)[] }
  | { readonly type: 'media'; readonly mimeType?: string }
  /** `survival`: EIR's survival outcome (an event flag and a time). */
  | { readonly type: 'record'; readonly members: readonly Property[]; readonly survival: boolean }
  | { readonly type: 'list'; readonly items?: Property }
  | { readonly type: 'dicom-instance' }
  | { readonly type: 'dicom-collection'; readonly level: 'series' | 'study' };

/** One of the model's `type` names. */
export type ValueModelType = ValueModel['type'];

// ---------------------------------------------------------------------------------------------
// Comparison

/** How an expected output is compared with the actual one (README, "Comparing outputs"). */
export const COMPARE_METHODS = [
  'exact',
  'numeric',
  'hash',
  'image',
  'allclose',
  'dice',
  'dicom',
  'presence',
] as const;

/** One of {@link COMPARE_METHODS}. */
export type CompareMethod = (typeof COMPARE_METHODS)[number];

/** The parts of a property's tolerance that choose a default method. */
export interface ToleranceHints {
  readonly abs?: number;
  readonly rel?: number;
  readonly dice?: number;
}

/** Which comparison methods a kind takes, and which it gets by default. */
export interface Comparison<S = unknown> {
  /** Every method that can compare the kind: a tolerance forcing another one is refused. */
  readonly accepts: readonly CompareMethod[];
  /** The method used when the tolerance names none; undefined for containers (walked, not compared). */
  defaultMethod(p: Property<S>, t: ToleranceHints): CompareMethod | undefined;
}

// ---------------------------------------------------------------------------------------------
// JSON Schema of the wire value

/** A JSON Schema as a plain object. */
export type JsonSchema = Record<string, unknown>;

/**
 * A kind's manifest keywords, each with the JSON Schema of its value as a manifest writes it. A
 * keyword several kinds take has one schema (share the constant); a recognising keyword whose
 * values are kind names (`type`, `dicom-type`) is given as `{ const: <the value> }`, and the
 * build gathers those into one `enum`.
 */
export type KeywordSchemas = Readonly<Record<string, JsonSchema>>;

/**
 * What a kind's `jsonSchema` gets: the wire layer's choices (how bytes, arrays and DICOM are
 * carried in a JSON document), recursion into nested properties, and the property's description.
 */
export interface SchemaContext {
  /** `title`/`description` of the property, to spread into the schema. */
  described(p: Property): JsonSchema;
  /** The schema of a nested property (its nullability is the caller's). */
  of(p: Property): JsonSchema;
  /** An object schema with these members (nullable ones optional, may be null). */
  members(props: readonly Property[]): JsonSchema;
  /** Bytes of one file with this media type, as the document carries them. */
  bytes(mimeType?: string): JsonSchema;
  /** An n-dimensional array as the document carries it. */
  tensor(dtype?: string, shape?: readonly (number | null)[]): JsonSchema;
  /** One DICOM Part 10 instance as the document carries it. */
  dicomInstance(): JsonSchema;
}

// ---------------------------------------------------------------------------------------------
// TypeScript types (`berth types`)

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

// ---------------------------------------------------------------------------------------------
// Synthesis, case values and the wire value (issue 13 item 1, second half)

/** A random number in [0, 1). */
export type Rand = () => number;

/**
 * What a kind's `synth` gets from the harness: the property's random stream, and recursion into
 * members and items (pins and left-out nullable members stay the harness's business).
 */
export interface SynthContext {
  /** The property's own random stream (seed, property path and array indices). */
  readonly rand: Rand;
  /** The name of that stream, for generators seeded by text (a synthetic DICOM file). */
  readonly stream: string;
  /** How many items the pins under this array need (0 when none). */
  readonly pinnedItems: number;
  /** A value for each member, each drawn by its own kind. */
  members(props: readonly Property[]): Promise<Record<string, unknown>>;
  /** `count` values of `item`, each from its own stream. */
  items(item: Property, count: number): Promise<unknown[]>;
  /** The request the harness fulfils with synthetic DICOM (an instance, a series or a study). */
  dicom(): unknown;
}

/** What a kind's `fromCase` gets: how to refuse a case value. */
export interface CaseContext {
  /** BERTH_E_CASE_VALUE for this value, with `message`. */
  refuse(message: string): Error;
}

/**
 * What a kind's wire `encode` gets from wire/: how the document format carries bytes, arrays and
 * DICOM, and recursion. The kind says which of these its value is; wire/ alone picks the form.
 */
export interface WireEncodeContext {
  /** One file's bytes (`size` in bytes, or -1 when unknown), as the format carries bytes. */
  bytes(read: () => Promise<Buffer>, size: number): Promise<unknown>;
  /** An n-dimensional array (an `NdArray` the reader gave), as the format carries arrays. */
  tensor(value: unknown): unknown;
  /** An object of these members, each encoded by its own kind. */
  members(props: readonly Property[], values: Record<string, unknown>): Promise<unknown>;
  /** A list, each item encoded by the item's kind. */
  items(item: Property, values: readonly unknown[]): Promise<unknown[]>;
  /** DICOM instances of the handle the reader gave (one, or a list for a series or study). */
  dicom(value: unknown, level: 'instance' | 'series' | 'study'): Promise<unknown>;
}

/**
 * What a kind's wire `decode` gets: the format, the checks every text value passes, and the
 * format's forms of bytes and arrays. Each returns undefined once it has reported a problem.
 */
export interface WireDecodeContext {
  readonly format: 'json' | 'msgpack';
  /** A value for the kind's text form, checked as the writer checks it (and the value-file size rule). */
  scalar(value: unknown): unknown;
  /** One file's bytes (base64 text in JSON, bin in msgpack); `what` names it in messages. */
  bytes(value: unknown, what: string): Uint8Array | undefined;
  /** An n-dimensional array in the format's forms, as an `NdArray`. */
  tensor(value: unknown): { readonly dtype: string; readonly shape: readonly number[] } | undefined;
  /** An object of these members, each decoded by its own kind. */
  members(props: readonly Property[], value: unknown): Promise<unknown>;
  /** The items of an array property (`p.items`), counted against its keywords. */
  items(value: unknown): Promise<unknown>;
  /** DICOM instances, decoded and checked by wire/'s DICOM decoder. */
  dicom(value: unknown): unknown;
  /** Reports a problem with this value; returns undefined. */
  problem(problem: ValueProblem): undefined;
}

/** A kind's value on a wire document (JSON or msgpack), both ways. */
export interface WireValue<S = unknown> {
  /** The document value of a value as the SDK reader returned it. */
  encode(value: unknown, p: Property<S>, ctx: WireEncodeContext): unknown;
  /** The value the SDK writer takes, from a document value; undefined once a problem is reported. */
  decode(value: unknown, p: Property<S>, ctx: WireDecodeContext): unknown;
}

// ---------------------------------------------------------------------------------------------
// The definition

/**
 * One kind, in the same shape as every other. `N` is its name (a literal: the registry derives
 * {@link KindName} from it), `S` its spec.
 */
export interface KindDefinition<N extends string = string, S = unknown> {
  readonly name: N;
  /** The recognising keyword of the reference (`dicom-type`, `mime-type`, `enum`, `type`). */
  readonly recognisedBy: 'dicom-type' | 'mime-type' | 'enum' | 'type';
  /** True when this kind claims the definition. Several claiming one definition is an error. */
  recognise(def: JsonObject): boolean;
  /**
   * Keywords meaningful on this kind beyond the common ones (title, description, nullable, …),
   * each with the JSON Schema of its value in a manifest: the build writes them into
   * schemas/machine.schema.json (kinds/manifest-schema.ts), so a new keyword needs no schema edit.
   */
  readonly keywords: KeywordSchemas;
  /** Checks the kind-specific part of the definition; returns the spec and the common fields it fills. */
  define(def: JsonObject, ctx: DefineContext): Defined<S>;
  /** A short label for layouts and messages, e.g. `integer`, `image/png`. */
  label(p: Property<S>): string;
  /** How the property occupies a tree's layout. */
  readonly shape: LayoutShape;
  /** How a value is stored: text, one file, DICOM, or a container. */
  readonly storage: Storage<S>;
  /** What the values are, for protocol adapters (EIR, OpenAPI, reports, comparison). */
  model(p: Property<S>): ValueModel;
  /** The JSON Schema of a value in a JSON wire document. */
  jsonSchema(p: Property<S>, ctx: SchemaContext): JsonSchema;
  /** How outputs of this kind are compared. */
  readonly comparison: Comparison<S>;
  /** How the kind's values are typed in TypeScript, read and written (`berth types`). */
  typescript(p: Property<S>, t: TypeContext): TsType;
  // Synthesis, case values and the wire value (see their block above).
  /** A synthetic value (what the SDK writer takes), drawn from the harness's context. */
  synth(p: Property<S>, ctx: SynthContext): unknown;
  /** A test case's value (YAML/JSON, `{file: path}` already resolved) as the SDK writer takes it. */
  fromCase(value: JsonValue, p: Property<S>, ctx: CaseContext): unknown;
  /** What the value is on a wire document, and the conversion both ways. */
  readonly wire: WireValue<S>;
}

/** The text form of a kind stored as text, or undefined. */
export function textFormOf(kind: Pick<KindDefinition, 'storage'>): TextForm<unknown> | undefined {
  return kind.storage.form === 'text' ? kind.storage.text : undefined;
}

/** The leaf reader/writer of a kind stored as one non-text file, or undefined. */
export function leafOf(kind: Pick<KindDefinition, 'storage'>): LeafIO | undefined {
  return kind.storage.form === 'leaf' ? kind.storage.leaf : undefined;
}
