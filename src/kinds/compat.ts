/**
 * Comparing two versions of a schema for a platform that already sends the old inputs and reads
 * the old outputs (`berth diff`). Every facet of a property (its value keywords, its list of
 * allowed values, its DICOM constraints, its array dtype and shape, its nullability) is compared
 * as a set of accepted values: the new version accepts fewer values (`narrower`), more (`wider`),
 * other ones (`different`), or the same. An input that got narrower may refuse what the platform
 * sends; an output that got wider may hand a reader what it does not expect; so
 * {@link breaksFor} tells breaking from compatible by side alone, for every facet alike.
 */
import { KEYWORD_BOUNDS } from './keywords.js';
import { dicomSpecOf } from './dicom-constraints.js';
import { enumValuesOf } from './enum.js';
import { mimeTypeOf } from './file.js';
import { ndarraySpecOf } from './ndarray.js';
import type { DicomConstraints, Property, Side, ValueKeywords } from './property.js';

/** How the values a facet accepts changed from the old version to the new one. */
export type Effect = 'narrower' | 'wider' | 'different';

/** One change between two versions of a schema. */
export interface SchemaChange {
  /** A short name of the change, e.g. `enum narrowed`, `minimum raised`, `input removed`. */
  change: string;
  /** The property's manifest path, e.g. `schema-in/threshold-hu`. */
  path: string;
  /** True when a platform built for the old version may fail with the new one. */
  breaking: boolean;
  /** Why, in words, with the old and new values. */
  why: string;
}

/** True when a facet change of `effect` on `side` can break a platform built for the old version. */
export function breaksFor(side: Side, effect: Effect): boolean {
  switch (effect) {
    case 'narrower':
      return side === 'in';
    case 'wider':
      return side === 'out';
    case 'different':
      return true;
    default: {
      const never: never = effect;
      return never;
    }
  }
}

/** `undefined` stands for "no constraint": any value. */
type Maybe<T> = T | undefined;

/** A set-valued constraint (enum values, modalities …): fewer values accept fewer inputs. */
function setEffect(a: Maybe<readonly string[]>, b: Maybe<readonly string[]>): Effect | undefined {
  if (a === undefined && b === undefined) return undefined;
  if (a === undefined) return 'narrower';
  if (b === undefined) return 'wider';
  const removed = a.some((v) => !b.includes(v));
  const added = b.some((v) => !a.includes(v));
  if (removed && added) return 'different';
  if (removed) return 'narrower';
  return added ? 'wider' : undefined;
}

/** A constraint that holds one value (a media type, a dtype, a count): any change is different. */
function exactEffect(a: unknown, b: unknown): Effect | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a === undefined) return 'narrower';
  if (b === undefined) return 'wider';
  return 'different';
}

/** A bound: a lower one rising (an upper one falling) narrows the values. */
function boundEffect(bound: 'lower' | 'upper', a: Maybe<number>, b: Maybe<number>): Effect | undefined {
  if (a === b) return undefined;
  if (a === undefined) return 'narrower';
  if (b === undefined) return 'wider';
  return (bound === 'lower') === b > a ? 'narrower' : 'wider';
}

/** Several effects at once: one direction if they agree, else different. */
function combine(effects: readonly Maybe<Effect>[]): Effect | undefined {
  const set = new Set(effects.filter((e): e is Effect => e !== undefined));
  if (set.size === 0) return undefined;
  return set.size === 1 ? [...set][0] : 'different';
}

/** An array shape, `null` extents accepting any size; a different rank is a different shape. */
function shapeEffect(
  a: Maybe<readonly (number | null)[]>,
  b: Maybe<readonly (number | null)[]>,
): Effect | undefined {
  if (a === undefined || b === undefined || a.length !== b.length) return exactEffect(a, b);
  return combine(
    a.map((n, i) =>
      n === b[i] ? undefined : n === null ? 'narrower' : b[i] === null ? 'wider' : 'different',
    ),
  );
}

/** One facet of a property: a name for messages, and how its versions compare. */
interface Facet {
  name: string;
  effect(a: Property, b: Property): Effect | undefined;
  show(p: Property): unknown;
}

function keywordFacet(key: keyof ValueKeywords): Facet {
  const bound = KEYWORD_BOUNDS[key];
  return {
    name: key,
    effect: (a, b) =>
      bound === 'exact'
        ? exactEffect(a.keywords[key], b.keywords[key])
        : boundEffect(bound, a.keywords[key] as Maybe<number>, b.keywords[key] as Maybe<number>),
    show: (p) => p.keywords[key],
  };
}

type DicomKey = keyof DicomConstraints;

function dicomFacet(name: string, key: DicomKey, asSet: boolean): Facet {
  const get = (p: Property): unknown => dicomSpecOf(p).constraints[key];
  return {
    name,
    effect: (a, b) =>
      asSet ? setEffect(get(a) as Maybe<string[]>, get(b) as Maybe<string[]>) : exactEffect(get(a), get(b)),
    show: get,
  };
}

/** Every facet compared, besides the kind, the members and the items. */
const FACETS: readonly Facet[] = [
  {
    name: 'nullable',
    effect: (a, b) => (a.nullable === b.nullable ? undefined : b.nullable ? 'wider' : 'narrower'),
    show: (p) => p.nullable,
  },
  ...(Object.keys(KEYWORD_BOUNDS) as (keyof ValueKeywords)[]).map(keywordFacet),
  {
    name: 'enum',
    effect: (a, b) => setEffect(enumValuesOf(a), enumValuesOf(b)),
    show: (p) => enumValuesOf(p),
  },
  {
    name: 'mime-type',
    effect: (a, b) => exactEffect(mimeTypeOf(a), mimeTypeOf(b)),
    show: (p) => mimeTypeOf(p),
  },
  dicomFacet('modalities', 'modalities', true),
  dicomFacet('sop-classes', 'sopClasses', true),
  dicomFacet('transfer-syntax-uid', 'transferSyntaxUids', true),
  dicomFacet('series-related-instances', 'seriesRelatedInstances', false),
  dicomFacet('study-related-series', 'studyRelatedSeries', false),
  dicomFacet('study-related-instances', 'studyRelatedInstances', false),
  {
    name: 'dtype',
    effect: (a, b) => exactEffect(ndarraySpecOf(a).dtype, ndarraySpecOf(b).dtype),
    show: (p) => ndarraySpecOf(p).dtype,
  },
  {
    name: 'shape',
    effect: (a, b) => shapeEffect(ndarraySpecOf(a).shape, ndarraySpecOf(b).shape),
    show: (p) => ndarraySpecOf(p).shape,
  },
];

const VERB: Record<Effect, string> = { narrower: 'narrowed', wider: 'widened', different: 'changed' };

function shown(v: unknown): string {
  return v === undefined ? '(none)' : JSON.stringify(v);
}

/** Why a facet change breaks (or not) a platform built for the old version. */
function reason(side: Side, facet: string, effect: Effect, breaking: boolean): string {
  if (!breaking) {
    return side === 'in'
      ? `every value sent before is still accepted (${facet} ${VERB[effect]})`
      : `every value read before is still possible and nothing new appears (${facet} ${VERB[effect]})`;
  }
  if (facet === 'nullable') {
    return side === 'in' ? 'the input is now required' : 'the output may now be null (absent)';
  }
  return side === 'in'
    ? `values the platform sent before may be refused (${facet} ${VERB[effect]})`
    : `readers may get values they never got before (${facet} ${VERB[effect]})`;
}

/** A property present only in the new version, or only in the old one. */
function presenceChange(side: Side, p: Property, added: boolean): SchemaChange {
  const what = side === 'in' ? 'input' : 'output';
  if (added) {
    const breaking = side === 'in' && !p.nullable;
    return {
      change: `${what} added`,
      path: p.path,
      breaking,
      why: breaking
        ? 'a new required input: the platform does not send it'
        : side === 'in'
          ? 'a new optional input'
          : 'a new output: readers of the old outputs ignore it',
    };
  }
  return {
    change: `${what} removed`,
    path: p.path,
    breaking: true,
    why:
      side === 'in'
        ? 'the platform still sends it and the machine no longer declares it'
        : 'readers of the old outputs no longer find it',
  };
}

/** The changes between two versions of one property (and, recursively, of its members and items). */
export function compareProperty(side: Side, a: Property, b: Property): SchemaChange[] {
  if (a.kind !== b.kind) {
    return [{ change: 'kind changed', path: b.path, breaking: true, why: `${a.kind} became ${b.kind}` }];
  }
  const out: SchemaChange[] = [];
  for (const facet of FACETS) {
    const effect = facet.effect(a, b);
    if (effect === undefined) continue;
    const breaking = breaksFor(side, effect);
    out.push({
      change: `${facet.name} ${VERB[effect]}`,
      path: b.path,
      breaking,
      why: `${shown(facet.show(a))} → ${shown(facet.show(b))}: ${reason(side, facet.name, effect, breaking)}`,
    });
  }
  for (const key of ['title', 'description'] as const) {
    if (a[key] !== b[key]) {
      out.push({ change: `${key} changed`, path: b.path, breaking: false, why: 'text shown to people only' });
    }
  }
  if (JSON.stringify(a.berth) !== JSON.stringify(b.berth)) {
    out.push({
      change: 'berth extension changed',
      path: b.path,
      breaking: false,
      why: "berth's own keys (tolerances, synthesis) do not reach the platform",
    });
  }
  if (a.items && b.items) out.push(...compareProperty(side, a.items, b.items));
  out.push(...compareMembers(side, a.properties ?? [], b.properties ?? []));
  return out;
}

/**
 * The changes between two lists of properties matched by name: a whole schema side, or an
 * object's members.
 */
export function compareMembers(side: Side, a: readonly Property[], b: readonly Property[]): SchemaChange[] {
  const out: SchemaChange[] = [];
  const byName = new Map(b.map((p) => [p.name, p]));
  for (const p of a) {
    const q = byName.get(p.name);
    if (q === undefined) out.push(presenceChange(side, p, false));
    else out.push(...compareProperty(side, p, q));
  }
  const old = new Set(a.map((p) => p.name));
  for (const q of b) if (!old.has(q.name)) out.push(presenceChange(side, q, true));
  return out;
}
