/**
 * Synthetic trees: a deterministic input (or output) tree that satisfies a machine's schema, for
 * trying a machine before real data exists (`berth synth`).
 *
 * Every value is generated from the property's keywords and then written through the SDK's
 * validating writer (`writeValue`: the kinds' text forms, the file and ndarray leaf writers), so a
 * value that broke the schema would be refused rather than written. DICOM properties are written by
 * the DICOM generator (src/dicom/synth.ts) honouring modality, SOP class, transfer syntax, instance
 * counts and descriptions. The same manifest and seed give the same bytes; each property draws from
 * its own random stream (seed + property path + array indices), so adding a property changes no
 * other property's values.
 *
 * Limits, decided here:
 * - Strings: `pattern` is honoured for the common regular-expression subset (literals, escapes
 *   `\d \w \s` and their negations, classes and ranges, `.`, groups, alternation, `? * + {n,m}`,
 *   anchors). Look-arounds, back-references and `\p{…}` are not generated: such a pattern gets
 *   BERTH_E_SYNTH_UNSUPPORTED unless a plain attempt happens to match. `format` is honoured for
 *   date-time, date, time, email, uri/url/uri-reference/iri, uuid, ipv4, ipv6 and hostname.
 * - Files: real content for image/png, image/jpeg, image/gif, application/pdf, application/zip,
 *   application/dicom, application/json and text/*; random bytes for application/octet-stream and
 *   any type berth takes on trust; BERTH_E_SYNTH_UNSUPPORTED for other types berth recognises by
 *   magic bytes (it would refuse random bytes for them).
 * - Strings without pattern or format are whole words (./synth-strings.ts).
 * - Percentages are drawn in percent and read through the kind's text rule (no binary division).
 * - DICOM: see ./synth-dicom.ts (counts, sizes, the shared patient and study); the four native
 *   transfer syntaxes only. Another modality or SOP class than CT, MR, CR, OT gets
 *   secondary-capture-like 8-bit pixels with that Modality and SOPClassUID (the file is then not a
 *   conformant instance of that IOD).
 * - Pins (`set`): see ./synth-pins.ts.
 * - Nullable properties are written too, unless `omitNullable`.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { dicomTreeCheck } from '../check/dicom.js';
import { checkTree, type TreeCheckOptions } from '../check/tree.js';
import type { MachineDefinition } from '../check/manifest.js';
import { BerthError, type Finding } from '../errors.js';
import { prng } from '../dicom/synth.js';
import type { Property, Side, ValueKeywords } from '../kinds/property.js';
import { kindOf } from '../kinds/registry.js';
import { checkNumberKeywords } from '../kinds/value.js';
import { writeValue } from '../sdk/write-value.js';
import { safeJoin } from '../tree/safe-path.js';
import { StudySharing, writeSyntheticDicom } from './synth-dicom.js';
import { synthFile, synthNdarray } from './synth-files.js';
import { escapeSegment, Pins } from './synth-pins.js';
import { synthString } from './synth-strings.js';
import { synthUnsupported, type Rand } from './synth-support.js';
import { textFormOf } from '../kinds/kind.js';
import { enumValuesOf } from '../kinds/enum.js';

export { fromPattern, synthString, words } from './synth-strings.js';

/** Options of {@link synthTree}. */
export interface SynthTreeOptions {
  /** Seed of every random choice (default 1). */
  seed?: string | number;
  /** Leave out nullable properties (default false: every property is written). */
  omitNullable?: boolean;
  /** `name=value` pins (see ./synth-pins.ts), checked before anything is written. */
  set?: readonly string[];
  /** Give each DICOM property its own patient and study (default false: they share one). */
  separateStudies?: boolean;
  /** Validate the written tree with checkTree (default true). */
  validate?: boolean;
  /** Passed to checkTree (default: the DICOM checks of dicomTreeCheck()). */
  check?: TreeCheckOptions;
}

/** What {@link synthTree} wrote. */
export interface SynthTreeResult {
  readonly dir: string;
  readonly side: Side;
  /** Every file written, relative to `dir`, sorted. */
  readonly files: string[];
  /** The findings of checkTree on the result (empty when `validate: false`). */
  readonly findings: Finding[];
}

/** A DICOM value for the writer below: where its random stream comes from. */
interface DicomRequest {
  readonly synthDicom: string;
}

/**
 * Writes a synthetic tree for one side of a machine into `dir` (created; existing entries of the
 * same names are replaced), then validates it.
 * @throws {@link BerthError} BERTH_E_SYNTH_UNSUPPORTED when a property cannot be satisfied;
 * BERTH_E_USAGE (or the kind's text code) for a `set` entry the schema does not take.
 */
export async function synthTree(
  definition: MachineDefinition,
  side: Side,
  dir: string,
  options: SynthTreeOptions = {},
): Promise<SynthTreeResult> {
  const seed = String(options.seed ?? 1);
  const props = side === 'in' ? definition.inputs : definition.outputs;
  const pins = Pins.parse(props, options.set ?? []);
  await mkdir(dir, { recursive: true });
  const gen = new Generator(seed, options.omitNullable ?? false, pins);
  const studies = new StudySharing(options.separateStudies ?? false);
  const dicom = (q: Property, abs: string, v: unknown): Promise<void> => {
    const where = dicomWhere(q, v);
    return writeSyntheticDicom(q, abs, { seed, where, study: studies.studyFor(seed, `${q.path}${where}`) });
  };
  for (const p of props) {
    if (p.nullable && gen.omitNullable && !pins.touches(escapeSegment(p.name))) continue;
    const abs = safeJoin(dir, p.name);
    await writeValue(p, abs, gen.value(p, '', escapeSegment(p.name)), { dicom });
  }
  const files = (await listFiles(dir)).sort();
  const findings =
    options.validate === false
      ? []
      : await checkTree(definition, side, dir, options.check ?? { dicom: dicomTreeCheck() });
  return { dir, side, files, findings };
}

function dicomWhere(p: Property, value: unknown): string {
  const request = value as Partial<DicomRequest> | null;
  if (typeof request?.synthDicom !== 'string') {
    throw new BerthError('BERTH_E_VALUE_TYPE', `${p.path} takes a synthetic DICOM request here`, {
      property: p.path,
    });
  }
  return request.synthDicom;
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...(await listFiles(root, r)));
    else out.push(r);
  }
  return out;
}

/** The value of a text-form kind from its text, through the kind's own text rule. */
function fromText(p: Property, text: string): unknown {
  const parsed = textFormOf(kindOf(p.kind))!.parse(text, p);
  if (!parsed.ok) throw synthUnsupported(p, `${text}: ${parsed.problem.message}`);
  return parsed.value;
}

class Generator {
  constructor(
    readonly seed: string,
    readonly omitNullable: boolean,
    readonly pins: Pins,
  ) {}

  private rand(p: Property, where: string): Rand {
    return prng(`${this.seed}/${p.path}/${where}`);
  }

  /**
   * The value of `p`; `where` tells array items apart (`/0/2`) for the random streams, `at` is
   * the value's path in the tree (escaped segments), where pins are looked up.
   */
  value(p: Property, where: string, at: string): unknown {
    if (this.pins.has(at)) return this.pins.get(at);
    const rand = this.rand(p, where);
    switch (p.kind) {
      case 'string':
        return synthString(p, rand);
      case 'enum': {
        const values = enumValuesOf(p) ?? [];
        return values[Math.floor(rand() * values.length)];
      }
      case 'date-time':
        // Whole seconds in 2020–2024, UTC.
        return new Date(Date.UTC(2020, 0, 1) + Math.floor(rand() * 5 * 365 * 86400) * 1000);
      case 'boolean':
        return rand() < 0.5;
      case 'integer':
        return synthNumber(p, p.keywords, rand, true, [0, 100]);
      case 'number':
        return synthNumber(p, p.keywords, rand, false, [0, 100]);
      case 'percentage': {
        // Keywords are in percent: the number is drawn in percent and read through the kind's
        // own text rule, which divides by 100 in decimal (55.9 → exactly the double of 0.559).
        const integer = Number.isInteger(p.keywords.multipleOf ?? 1);
        return fromText(p, `${synthNumber(p, p.keywords, rand, integer, [0, 100])}%`);
      }
      case 'file':
        return synthFile(p, rand, `${this.seed}/${p.path}/${where}`);
      case 'ndarray':
        return synthNdarray(p, rand);
      case 'object':
      case 'survival':
        return this.members(p, where, at);
      case 'array':
        return this.items(p, where, at, rand);
      case 'dicom-image':
      case 'dicom-series':
      case 'dicom-study':
        return { synthDicom: where } satisfies DicomRequest;
    }
  }

  private members(p: Property, where: string, at: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const m of p.properties ?? []) {
      const mAt = `${at}/${escapeSegment(m.name)}`;
      if (m.nullable && this.omitNullable && !this.pins.touches(mAt)) continue;
      out[m.name] = this.value(m, where, mAt);
    }
    return out;
  }

  private items(p: Property, where: string, at: string, rand: Rand): unknown[] {
    const { minItems, maxItems } = p.keywords;
    // At least one item whenever maxItems allows: an empty array exercises little.
    const lo = Math.max(minItems ?? 0, Math.min(1, maxItems ?? 1));
    const hi = Math.max(lo, Math.min(maxItems ?? Math.max(lo, 3), Math.max(lo, 3)));
    const count = Math.max(lo + Math.floor(rand() * (hi - lo + 1)), this.pins.itemsNeeded(at));
    const item = p.items;
    if (!item) return [];
    return Array.from({ length: count }, (_, i) => this.value(item, `${where}/${i}`, `${at}/${i}`));
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers

/**
 * A number satisfying minimum/maximum (inclusive and exclusive) and multipleOf: a random multiple in
 * range, else the bounds and midpoint, each checked with the kinds' own keyword check.
 */
export function synthNumber(
  p: Property,
  k: ValueKeywords,
  rand: Rand,
  integer: boolean,
  defaults: [number, number],
): number {
  let lo = Math.max(k.minimum ?? -Infinity, k.exclusiveMinimum ?? -Infinity);
  let hi = Math.min(k.maximum ?? Infinity, k.exclusiveMaximum ?? Infinity);
  if (!Number.isFinite(lo) && !Number.isFinite(hi)) [lo, hi] = defaults;
  else if (!Number.isFinite(lo)) lo = hi - (defaults[1] - defaults[0]);
  else if (!Number.isFinite(hi)) hi = lo + (defaults[1] - defaults[0]);
  const candidates: number[] = [];
  const step = k.multipleOf ?? (integer ? 1 : undefined);
  if (step !== undefined && step > 0) {
    const first = Math.ceil(lo / step);
    const last = Math.floor(hi / step);
    if (last >= first) {
      const pick = first + Math.floor(rand() * (last - first + 1));
      for (const n of [pick, first, last, first + 1, last - 1]) {
        // Round away binary noise (0.1 × 3) without leaving the multiple.
        candidates.push(Number((n * step).toPrecision(12)));
      }
    }
  } else {
    const x = lo + rand() * (hi - lo);
    candidates.push(Math.round(x * 100) / 100, x, (lo + hi) / 2);
  }
  for (const c of candidates) {
    if (integer && !Number.isSafeInteger(c)) continue;
    if (!checkNumberKeywords(c, k)) return Object.is(c, -0) ? 0 : c;
  }
  throw synthUnsupported(p, `No ${integer ? 'integer' : 'number'} satisfies the keywords of ${p.path}`);
}
