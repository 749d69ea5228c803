import { isJsonObject, type JsonObject } from '../manifest/document.js';
import { comparedBy } from './define-helpers.js';
import type { DicomLevel } from '../dicom/constraints.js';
import type {
  CompareMethod,
  DefineContext,
  DicomStorage,
  JsonSchema,
  KeywordSchemas,
  KindDefinition,
  Property,
} from './kind.js';
import type { DicomConstraints, DicomDescription } from './property.js';
import { countKeyword, describe, reportKeyword, stringKeyword, stringListKeyword } from './keywords.js';

/** A DICOM UID: dot-separated decimal components, no leading zeros, at most 64 characters. */
export function uidProblem(uid: string): string | undefined {
  if (uid.length === 0 || uid.length > 64) return `${JSON.stringify(uid)} is not 1–64 characters long`;
  if (!/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(uid)) return `${JSON.stringify(uid)} is not a DICOM UID`;
  return undefined;
}

/** A modality code (a DICOM CS value such as CT, MR, CR). */
function modalityProblem(m: string): string | undefined {
  return /^[A-Z0-9_]{1,16}$/.test(m)
    ? undefined
    : `${JSON.stringify(m)} is not a modality code such as CT or MR`;
}

type DicomKindName = 'dicom-image' | 'dicom-series' | 'dicom-study';

/** A list of UIDs, or one UID (the JSON Schema of `transfer-syntax-uid` and `sop-classes`). */
const UID_LIST: JsonSchema = {
  oneOf: [
    { type: 'array', items: { type: 'string', pattern: '^[0-9.]+$' }, minItems: 1 },
    { type: 'string', pattern: '^[0-9.]+$' },
  ],
};

/** The JSON Schema of every constraining and descriptive keyword of the DICOM kinds. */
const DICOM_KEYWORDS = {
  'transfer-syntax-uid': UID_LIST,
  'series-related-instances': { type: 'integer', minimum: 1 },
  'study-related-series': { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1 },
  'study-related-instances': { type: 'integer', minimum: 1 },
  'sop-classes': UID_LIST,
  modalities: {
    oneOf: [
      { type: 'array', items: { type: 'string', pattern: '^[A-Z0-9_]{1,16}$' }, minItems: 1 },
      { type: 'string', pattern: '^[A-Z0-9_]{1,16}$' },
    ],
  },
  'study-description': { type: 'string' },
  'series-description': { type: 'string' },
  'series-descriptions-array': { type: 'array', items: { type: 'string' } },
} as const satisfies KeywordSchemas;

/** Which constraining and descriptive keywords the reference allows on each DICOM kind. */
const ALLOWED: Record<DicomKindName, readonly (keyof typeof DICOM_KEYWORDS)[]> = {
  'dicom-image': [
    'transfer-syntax-uid',
    'sop-classes',
    'modalities',
    'study-description',
    'series-description',
  ],
  'dicom-series': [
    'transfer-syntax-uid',
    'series-related-instances',
    'sop-classes',
    'modalities',
    'study-description',
    'series-description',
  ],
  'dicom-study': [
    'transfer-syntax-uid',
    'study-related-series',
    'study-related-instances',
    'sop-classes',
    'modalities',
    'study-description',
    'series-descriptions-array',
  ],
};

/** A DICOM kind's keywords: its recognising `dicom-type` (the kind's name) and its allowed ones. */
function dicomKeywords(name: DicomKindName): KeywordSchemas {
  return {
    'dicom-type': { const: name },
    ...Object.fromEntries(ALLOWED[name].map((k) => [k, DICOM_KEYWORDS[k]])),
  };
}

/**
 * Builds a DICOM kind: recognised by its `dicom-type` value, with that kind's constraint table;
 * `typescript` is how the kind is typed in generated code.
 */
export function dicomKind<N extends DicomKindName>(
  name: N,
  level: DicomLevel,
  shape: KindDefinition['shape'],
  typescript: KindDefinition<N, DicomSpec>['typescript'],
): KindDefinition<N, DicomSpec> {
  return {
    name,
    recognisedBy: 'dicom-type',
    recognise: (def) => def['dicom-type'] === name,
    keywords: dicomKeywords(name),
    define: (def, ctx) => ({ spec: defineDicom(def, ctx) }),
    label: (p) => p.kind,
    shape,
    storage: dicomStorage(level),
    model: () => (level === 'instance' ? { type: 'dicom-instance' } : { type: 'dicom-collection', level }),
    jsonSchema: (p, ctx) =>
      level === 'instance'
        ? { ...ctx.described(p), ...ctx.dicomInstance() }
        : {
            ...ctx.described(p),
            type: 'array',
            description: (p.description ? `${p.description}\n\n` : '') + 'The DICOM instances, in any order.',
            items: ctx.dicomInstance(),
            minItems: 1,
          },
    comparison: comparedBy('dicom', level === 'instance' ? INSTANCE_METHODS : COLLECTION_METHODS),
    typescript,
    // Synthesis, case values, the wire value: the harness and wire/ do the DICOM work.
    synth: (_p, ctx) => ctx.dicom(),
    fromCase(value, _p, ctx) {
      if (!isJsonObject(value))
        throw ctx.refuse('A DICOM input is given as {dicom: folder-or-file} or {synth: {...}}');
      return value;
    },
    wire: {
      encode: (value, _p, ctx) => ctx.dicom(value, level),
      decode: (value, _p, ctx) => ctx.dicom(value),
    },
  };
}

/**
 * The storage of a DICOM kind at `level`: its check is src/dicom/folder-check.ts, loaded on first
 * use, with the property's constraints as plain parameters.
 */
function dicomStorage(level: DicomLevel): DicomStorage<DicomSpec> {
  return {
    form: 'dicom',
    level,
    async check(p, abs, side, ctx) {
      const { checkDicomEntry } = await import('../dicom/folder-check.js');
      const inputUids = side === 'out' && ctx.inputUids ? await ctx.inputUids() : undefined;
      return checkDicomEntry(
        { level, constraints: p.spec.constraints, property: p.path },
        abs,
        side,
        inputUids ? { inputUids } : {},
      );
    },
  };
}

/** One instance is one file: its bytes can be compared too. */
const INSTANCE_METHODS: readonly CompareMethod[] = ['hash', 'dicom', 'presence'];
const COLLECTION_METHODS: readonly CompareMethod[] = ['dicom', 'presence'];

/** A DICOM kind's spec: the reference's constraining and descriptive properties. */
export interface DicomSpec {
  readonly constraints: DicomConstraints;
  readonly description: DicomDescription;
}

const NO_DICOM_SPEC: DicomSpec = { constraints: {}, description: {} };

/** The spec of a DICOM property (empty constraints for any other kind). */
export function dicomSpecOf(p: Property): DicomSpec {
  return isDicomKindName(p.kind) ? (p as Property<DicomSpec>).spec : NO_DICOM_SPEC;
}

function isDicomKindName(name: string): name is DicomKindName {
  return Object.hasOwn(ALLOWED, name);
}

function defineDicom(def: JsonObject, ctx: DefineContext): DicomSpec {
  const c: DicomConstraints = {};
  const ts = stringListKeyword(def, 'transfer-syntax-uid', ctx, uidProblem, 'BERTH_E_UID_FORMAT');
  if (ts) c.transferSyntaxUids = ts;
  const sop = stringListKeyword(def, 'sop-classes', ctx, uidProblem, 'BERTH_E_UID_FORMAT');
  if (sop) c.sopClasses = sop;
  const mod = stringListKeyword(def, 'modalities', ctx, modalityProblem, 'BERTH_E_MODALITY_FORMAT');
  if (mod) c.modalities = mod;
  const sri = countKeyword(def, 'series-related-instances', ctx, 1);
  if (sri !== undefined) c.seriesRelatedInstances = sri;
  const study = countKeyword(def, 'study-related-instances', ctx, 1);
  if (study !== undefined) c.studyRelatedInstances = study;
  const perSeries = def['study-related-series'];
  if (perSeries !== undefined && perSeries !== null) {
    if (!Array.isArray(perSeries) || perSeries.length === 0) {
      reportKeyword(
        ctx,
        'BERTH_E_KEYWORD_VALUE',
        'study-related-series',
        `study-related-series must be a list with one instance count per series, got ${describe(perSeries)}`,
        'a list such as [1, 120]',
      );
    } else if (!perSeries.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 1)) {
      reportKeyword(
        ctx,
        'BERTH_E_KEYWORD_VALUE',
        'study-related-series',
        'study-related-series entries must be integers ≥ 1 (instances per series)',
        'a list such as [1, 120]',
      );
    } else {
      c.studyRelatedSeries = perSeries as number[];
    }
  }
  if (c.studyRelatedSeries && c.studyRelatedInstances !== undefined) {
    const sum = c.studyRelatedSeries.reduce((a, b) => a + b, 0);
    if (sum !== c.studyRelatedInstances) {
      reportKeyword(
        ctx,
        'BERTH_E_RANGE_EMPTY',
        'study-related-instances',
        `study-related-instances is ${c.studyRelatedInstances} but study-related-series adds up to ${sum}`,
        'the two to agree',
      );
    }
  }
  const d: DicomDescription = {};
  const sd = stringKeyword(def, 'study-description', ctx);
  if (sd !== undefined) d.studyDescription = sd;
  const se = stringKeyword(def, 'series-description', ctx);
  if (se !== undefined) d.seriesDescription = se;
  const arr = stringListKeyword(def, 'series-descriptions-array', ctx);
  if (arr) d.seriesDescriptionsArray = arr;
  return { constraints: c, description: d };
}
