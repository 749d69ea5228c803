import { finding, type Finding } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue, type LineLookup } from '../manifest/document.js';
import type { LayoutNode } from '../tree/layout-node.js';
import { segmentProblem } from '../tree/safe-path.js';
import { ATOMIC_TEMP_PREFIX as TEMP_PREFIX } from '../tree/atomic.js';
import { COMMON_KEYWORDS, RECOGNISERS, describe, reportKeyword, stringKeyword } from './keywords.js';
import { ITEMS_NAME } from './array.js';
import { KINDS, TYPE_VALUES, kindOf } from './registry.js';
import { SIDE_KEY, type DefineContext, type Property, type KindName, type Side } from './property.js';

/** Property definitions nested deeper than this are refused. */
export const MAX_PROPERTY_DEPTH = 32;

/** Every keyword some kind understands; anything else is unknown (likely a typo). */
const KNOWN_KEYWORDS = new Set([
  ...COMMON_KEYWORDS,
  ...RECOGNISERS,
  ...KINDS.flatMap((k) => Object.keys(k.keywords)),
]);

/** Keywords of plain JSON Schema that EnvoyAI's dialect replaces, with the advice to give. */
const REPLACED_KEYWORDS: Record<string, string> = {
  required: 'every property is required unless it says nullable: true',
  additionalProperties: 'undeclared entries are always reported',
};

/** The result of resolving one side's schema. */
export interface ResolvedSide {
  properties: Property[];
  findings: Finding[];
}

/**
 * Resolves a `schema-in` or `schema-out` mapping into typed properties, reporting every problem
 * of names and definitions as findings (never throwing for bad input).
 */
export function resolveSide(schema: JsonValue | undefined, side: Side, lineOf: LineLookup): ResolvedSide {
  const findings: Finding[] = [];
  const key = SIDE_KEY[side];
  if (!isJsonObject(schema)) return { properties: [], findings };
  const properties = resolveMembers(schema, side, [key], key, lineOf, findings, 0);
  return { properties, findings };
}

function resolveMembers(
  members: JsonObject,
  side: Side,
  pointer: readonly (string | number)[],
  path: string,
  lineOf: LineLookup,
  findings: Finding[],
  depth: number,
): Property[] {
  const out: Property[] = [];
  for (const [name, def] of Object.entries(members)) {
    const p = resolveOne(name, def, side, [...pointer, name], `${path}/${name}`, lineOf, findings, depth);
    if (p) out.push(p);
  }
  checkSiblingNames(
    out.map((p) => p.name),
    pointer,
    path,
    lineOf,
    findings,
  );
  return out;
}

function resolveOne(
  name: string,
  def: JsonValue,
  side: Side,
  pointer: readonly (string | number)[],
  path: string,
  lineOf: LineLookup,
  findings: Finding[],
  depth: number,
): Property | undefined {
  const at = (ptr: readonly (string | number)[] = pointer) => {
    const line = lineOf(ptr);
    return { property: path, ...(line === undefined ? {} : { line }) };
  };
  if (depth >= MAX_PROPERTY_DEPTH) {
    findings.push(
      finding('BERTH_E_TOO_DEEP', `Properties nested deeper than ${MAX_PROPERTY_DEPTH} levels`, at()),
    );
    return undefined;
  }
  if (name !== ITEMS_NAME) checkName(name, at(), findings);
  if (!isJsonObject(def)) {
    findings.push(
      finding(
        'BERTH_E_PROPERTY_NOT_OBJECT',
        `The definition of ${JSON.stringify(name)} is ${describe(def)}`,
        {
          ...at(),
          expected: 'a mapping such as {type: string}',
        },
      ),
    );
    return undefined;
  }
  const kind = recognise(def, at, findings);
  if (kind === undefined) return undefined;
  const ctx: DefineContext = {
    side,
    path,
    pointer,
    lineOf,
    report: (f) => findings.push(f),
    resolve: (childName, childDef, childPointer, childPath) =>
      resolveOne(childName, childDef, side, childPointer, childPath, lineOf, findings, depth + 1),
  };
  checkKeywords(def, kind, ctx, findings);
  const nullableValue = def['nullable'];
  if (nullableValue !== undefined && typeof nullableValue !== 'boolean') {
    reportKeyword(
      ctx,
      'BERTH_E_KEYWORD_VALUE',
      'nullable',
      `nullable must be true or false, got ${describe(nullableValue)}`,
    );
  }
  const title = stringKeyword(def, 'title', ctx);
  const description = stringKeyword(def, 'description', ctx);
  const berth = def['berth'];
  const specific = kind.define(def, ctx);
  return {
    name,
    path,
    side,
    kind: kind.name as KindName,
    nullable: nullableValue === true,
    keywords: {},
    raw: def,
    ...(title === undefined ? {} : { title }),
    ...(description === undefined ? {} : { description }),
    ...(isJsonObject(berth) ? { berth } : {}),
    ...specific,
  };
}

/** The one kind that recognises `def`, or undefined with the finding saying why not. */
function recognise(
  def: JsonObject,
  where: () => { property: string; line?: number },
  findings: Finding[],
): (typeof KINDS)[number] | undefined {
  const claimed = KINDS.filter((k) => k.recognise(def));
  if (claimed.length !== 1) {
    findings.push(
      recognitionFinding(
        def,
        claimed.map((k) => k.name),
        where(),
      ),
    );
    return undefined;
  }
  return claimed[0]!;
}

/**
 * Reports the keywords of `def` that its kind does not take: replaced or known elsewhere (not
 * applicable), or unknown (a warning). Common keywords, the recognising one and `x-` ones pass.
 */
function checkKeywords(
  def: JsonObject,
  kind: (typeof KINDS)[number],
  ctx: DefineContext,
  findings: Finding[],
): void {
  const { pointer, path, lineOf } = ctx;
  for (const keyword of Object.keys(def)) {
    if (
      COMMON_KEYWORDS.includes(keyword) ||
      Object.hasOwn(kind.keywords, keyword) ||
      keyword === kind.recognisedBy
    )
      continue;
    if (keyword.startsWith('x-')) continue;
    if (keyword in REPLACED_KEYWORDS) {
      reportKeyword(
        ctx,
        'BERTH_E_KEYWORD_NOT_APPLICABLE',
        keyword,
        `${keyword} has no meaning in an EnvoyAI schema: ${REPLACED_KEYWORDS[keyword]}`,
      );
    } else if (KNOWN_KEYWORDS.has(keyword)) {
      reportKeyword(
        ctx,
        'BERTH_E_KEYWORD_NOT_APPLICABLE',
        keyword,
        `${keyword} has no meaning on a ${kind.name} property`,
      );
    } else {
      const line = lineOf([...pointer, keyword]) ?? lineOf(pointer);
      findings.push(
        finding(
          'BERTH_E_KEYWORD_UNKNOWN',
          `Unknown keyword ${JSON.stringify(keyword)} on a ${kind.name} property`,
          {
            severity: 'warning',
            property: path,
            ...(line === undefined ? {} : { line }),
          },
        ),
      );
    }
  }
}

function recognitionFinding(
  def: JsonObject,
  claimed: string[],
  where: { property: string; line?: number },
): Finding {
  if (claimed.length > 1) {
    return finding('BERTH_E_KIND_AMBIGUOUS', `The definition matches several kinds: ${claimed.join(', ')}`, {
      ...where,
      expected: 'exactly one of dicom-type, mime-type, enum or type',
    });
  }
  const dicomType = def['dicom-type'];
  if (dicomType !== undefined) {
    return finding('BERTH_E_DICOM_TYPE', `dicom-type ${describe(dicomType)} is not a DICOM kind`, {
      ...where,
      expected: 'dicom-image, dicom-series or dicom-study',
    });
  }
  const type = def['type'];
  if (type !== undefined) {
    const hint = Array.isArray(type) ? ' (for an optional property write nullable: true)' : '';
    return finding('BERTH_E_KIND_UNKNOWN', `type ${describe(type)} is not a kind${hint}`, {
      ...where,
      expected: `one of ${TYPE_VALUES.join(', ')}`,
    });
  }
  return finding('BERTH_E_KIND_UNKNOWN', 'The definition has none of dicom-type, mime-type, enum or type', {
    ...where,
    expected: 'one of dicom-type, mime-type, enum or type',
  });
}

function checkName(name: string, where: { property: string; line?: number }, findings: Finding[]): void {
  let problem = segmentProblem(name);
  if (!problem && name.startsWith(TEMP_PREFIX))
    problem = `starts with '${TEMP_PREFIX}', reserved for berth's temporary files`;
  if (problem) {
    findings.push(
      finding('BERTH_E_PROPERTY_NAME', `Property name ${JSON.stringify(name)} ${problem}`, {
        ...where,
        expected:
          'a single path segment: not empty, not . or .., no / \\ NUL or control characters, ≤ 255 bytes',
      }),
    );
  } else if (/^(0|[1-9][0-9]*)$/.test(name)) {
    findings.push(
      finding('BERTH_E_ARRAY_NAME_CLASH', `Property name ${JSON.stringify(name)} looks like an array index`, {
        ...where,
        expected: 'a name that is not a bare number, so the directory cannot be mistaken for an array',
      }),
    );
  }
}

/**
 * A name as case-insensitive file systems may compare it: NFC, then lower case then upper case,
 * so that letters with several lower forms fold together (σ, ς and Σ all become Σ; lower case
 * alone left final sigma apart), then NFC again for what the case mappings decomposed.
 */
export function caseFold(name: string): string {
  return name.normalize('NFC').toLowerCase().toUpperCase().normalize('NFC');
}

function checkSiblingNames(
  names: string[],
  pointer: readonly (string | number)[],
  path: string,
  lineOf: LineLookup,
  findings: Finding[],
): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    const folded = caseFold(name);
    const first = seen.get(folded);
    if (first !== undefined) {
      const line = lineOf([...pointer, name]);
      findings.push(
        finding(
          'BERTH_E_PROPERTY_NAME_CLASH',
          `${JSON.stringify(name)} and ${JSON.stringify(first)} differ only in case`,
          {
            property: `${path}/${name}`,
            ...(line === undefined ? {} : { line }),
            expected: 'sibling names that stay distinct on case-insensitive file systems',
          },
        ),
      );
    } else seen.set(folded, name);
  }
}

/** A resolved property as a layout node for tree/. */
export function toLayoutNode(p: Property): LayoutNode {
  const kind = kindOf(p.kind);
  return {
    name: p.name,
    shape: kind.shape,
    optional: p.nullable,
    label: kind.label(p),
    ...(p.properties ? { children: p.properties.map(toLayoutNode) } : {}),
    ...(p.items ? { items: toLayoutNode(p.items) } : {}),
  };
}

/** Walks a property tree depth first. */
export function* walkProperties(props: readonly Property[]): Generator<Property> {
  for (const p of props) {
    yield p;
    if (p.properties) yield* walkProperties(p.properties);
    if (p.items) yield* walkProperties([p.items]);
  }
}
