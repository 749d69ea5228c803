/**
 * Synthetic trees: a deterministic input (or output) tree that satisfies a machine's schema, for
 * trying a machine before real data exists (`berth synth`).
 *
 * Every value is drawn by its kind's `synth` facet (src/kinds/) from the property's keywords and
 * its own random stream, then written through the SDK's
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
 *   any type berth takes on trust (src/kinds/synth-files.ts); BERTH_E_SYNTH_UNSUPPORTED for other types berth recognises by
 *   magic bytes (it would refuse random bytes for them).
 * - Strings without pattern or format are whole words (src/kinds/synth-strings.ts).
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
import { checkTree, type TreeCheckOptions } from '../check/tree.js';
import type { MachineDefinition } from '../check/manifest.js';
import { BerthError, type Finding } from '../errors.js';
import { prng } from '../dicom/synth.js';
import type { Property, Side, SynthContext } from '../kinds/kind.js';
import { kindOf } from '../kinds/registry.js';
import { writeValue } from '../sdk/write-value.js';
import { safeJoin } from '../tree/safe-path.js';
import { StudySharing, writeSyntheticDicom } from './synth-dicom.js';
import { escapeSegment, Pins } from './synth-pins.js';

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
  /** Passed to checkTree. */
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
  const dicomOutputs = {
    write(q: Property, abs: string, v: unknown): Promise<void> {
      const where = dicomWhere(q, v);
      return writeSyntheticDicom(q, abs, { seed, where, study: studies.studyFor(seed, `${q.path}${where}`) });
    },
  };
  for (const p of props) {
    if (p.nullable && gen.omitNullable && !pins.touches(escapeSegment(p.name))) continue;
    const abs = safeJoin(dir, p.name);
    await writeValue(p, abs, await gen.value(p, '', escapeSegment(p.name)), { dicomOutputs });
  }
  const files = (await listFiles(dir)).sort();
  const findings = options.validate === false ? [] : await checkTree(definition, side, dir, options.check);
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

class Generator {
  constructor(
    readonly seed: string,
    readonly omitNullable: boolean,
    readonly pins: Pins,
  ) {}

  /**
   * The value of `p`, drawn by its kind; `where` tells array items apart (`/0/2`) for the random
   * streams, `at` is the value's path in the tree (escaped segments), where pins are looked up.
   */
  async value(p: Property, where: string, at: string): Promise<unknown> {
    if (this.pins.has(at)) return this.pins.get(at);
    const stream = `${this.seed}/${p.path}/${where}`;
    const pins = this.pins;
    const ctx: SynthContext = {
      rand: prng(stream),
      stream,
      // Asked by arrays only: the pins are not scanned for every value.
      get pinnedItems() {
        return pins.itemsNeeded(at);
      },
      members: (props) => this.members(props, where, at),
      items: (item, count) => this.items(item, count, where, at),
      dicom: () => ({ synthDicom: where }) satisfies DicomRequest,
    };
    return kindOf(p.kind).synth(p, ctx);
  }

  private async members(
    props: readonly Property[],
    where: string,
    at: string,
  ): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const m of props) {
      const mAt = `${at}/${escapeSegment(m.name)}`;
      if (m.nullable && this.omitNullable && !this.pins.touches(mAt)) continue;
      out[m.name] = await this.value(m, where, mAt);
    }
    return out;
  }

  private async items(item: Property, count: number, where: string, at: string): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let i = 0; i < count; i++) out.push(await this.value(item, `${where}/${i}`, `${at}/${i}`));
    return out;
  }
}
