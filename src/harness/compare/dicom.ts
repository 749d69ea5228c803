/**
 * `dicom`: dicom-image, dicom-series and dicom-study outputs compared instance by instance,
 * without their UIDs (a machine writes new SOP and series UIDs on every run): series and
 * instances are paired as dicom-match.ts says, attributes are compared as dicom-attributes.ts
 * says, pixels as dicom-pixels.ts says. The property matches when nothing is missing or extra,
 * no attribute differs, every pair's pixels are comparable, no compressed frame differs, and at
 * most `maxDiffPixels` pixels (over the whole property) differ by more than `abs`.
 *
 * With an asset folder, the middle instance of the first paired series (its middle frame) is
 * rendered for expected and actual, with the diff over the expected.
 */
import { indexFolder } from '../../dicom/index.js';
import { readPixels } from '../../dicom/pixels.js';
import { scanHeader, type DicomHeader } from '../../dicom/scan.js';
import type { Comparison } from '../types.js';
import { attachImages } from './assets.js';
import { attributeDifferences, ignoredTags } from './dicom-attributes.js';
import {
  instanceLabel,
  matchInstances,
  matchSeries,
  seriesGroup,
  seriesLabel,
  type Pairing,
  type SeriesGroup,
} from './dicom-match.js';
import { comparePixels, renderFrame, type Pixels } from './dicom-pixels.js';
import { baseOf, failed, reason, type LeafPair } from './context.js';
import { dicomLevelOf, type DicomLevel } from '../../kinds/registry.js';

/** Differences listed in the metrics at most (the count is always complete). */
export const MAX_LISTED_DIFFERENCES = 50;

/** One side read: its series, or why it cannot be used. */
type Side = { series: SeriesGroup[] } | { problem: string };

async function readSide(pair: LeafPair, path: string): Promise<Side> {
  if (dicomLevelOf(pair.property) === 'instance') {
    try {
      return { series: [seriesGroup([await scanHeader(path)])] };
    } catch (e) {
      return { problem: reason(e) };
    }
  }
  const index = await indexFolder(path);
  const issues = [...index.errors, ...index.strays];
  if (issues.length > 0) {
    const first = issues[0]!;
    return {
      problem: `${issues.length} file(s) are not usable DICOM instances; first: ${first.error.message}`,
    };
  }
  if (index.instances.size === 0) return { problem: 'it holds no DICOM instance' };
  if (dicomLevelOf(pair.property) === 'series')
    return { series: [seriesGroup([...index.instances.values()])] };
  return { series: [...index.series.values()].map((s) => seriesGroup(s.instances)) };
}

function describe(series: readonly SeriesGroup[], level: DicomLevel | undefined): string {
  const instances = series.reduce((n, s) => n + s.instances.length, 0);
  if (level === 'instance') {
    const h = series[0]?.instances[0];
    return `${h?.Modality ?? 'DICOM'} image ${h?.Rows ?? '?'}×${h?.Columns ?? '?'}${h && h.frames > 1 ? `, ${h.frames} frames` : ''}`;
  }
  if (level === 'series') return `${series[0]?.modality ?? 'DICOM'} series, ${instances} instance(s)`;
  return `study, ${series.length} series, ${instances} instance(s)`;
}

interface Tally {
  differences: { series?: string; instance: string; attribute: string; expected: string; actual: string }[];
  attributeDifferences: number;
  differingPixels: number;
  maxAbsDiff: number;
  differingFrames: number;
  pixelProblems: string[];
  missing: string[];
  extra: string[];
  instances: { expected: number; actual: number; matched: number; matchedBy: string[] };
}

async function pixelsOf(h: DicomHeader): Promise<Pixels> {
  // Compressed frames are compared as bytes, as before readPixels decoded them.
  return h.pixelData ? readPixels(h.path, h, { decode: false }) : undefined;
}

async function compareSeries(
  es: SeriesGroup,
  as: SeriesGroup,
  label: string | undefined,
  abs: number,
  ignored: ReadonlySet<number>,
  tally: Tally,
): Promise<Pairing<DicomHeader>> {
  const pairing = matchInstances(es.instances, as.instances);
  tally.instances.matched += pairing.pairs.length;
  if (!tally.instances.matchedBy.includes(pairing.by)) tally.instances.matchedBy.push(pairing.by);
  const where = (s: string) => (label ? `${label} ${s}` : s);
  pairing.missing.forEach((h, i) => tally.missing.push(where(instanceLabel(h, pairing.pairs.length + i))));
  pairing.extra.forEach((h, i) => tally.extra.push(where(instanceLabel(h, pairing.pairs.length + i))));
  for (const [rank, [e, a]] of pairing.pairs.entries()) {
    const instance = instanceLabel(e, rank);
    for (const d of attributeDifferences(e, a, ignored)) {
      tally.attributeDifferences++;
      if (tally.differences.length < MAX_LISTED_DIFFERENCES) {
        tally.differences.push({ ...(label ? { series: label } : {}), instance, ...d });
      }
    }
    try {
      const r = comparePixels(await pixelsOf(e), await pixelsOf(a), abs);
      tally.differingPixels += r.differingPixels;
      tally.maxAbsDiff = Math.max(tally.maxAbsDiff, r.maxAbsDiff);
      tally.differingFrames += r.differingFrames;
      if (r.problem) tally.pixelProblems.push(`${where(instance)}: ${r.problem}`);
    } catch (err) {
      tally.pixelProblems.push(`${where(instance)}: the pixel data cannot be read: ${reason(err)}`);
    }
  }
  return pairing;
}

/** Renders the middle instance (middle frame) of a paired series into the asset folder. */
async function thumbnails(c: Comparison, pair: LeafPair, pairing: Pairing<DicomHeader>): Promise<void> {
  if (!pair.assets || pairing.pairs.length === 0) return;
  const [e, a] = pairing.pairs[Math.floor((pairing.pairs.length - 1) / 2)]!;
  try {
    const [pe, pa] = [await pixelsOf(e), await pixelsOf(a)];
    if (pe?.kind !== 'native') return;
    const frame = Math.floor((pe.frames - 1) / 2);
    const expected = renderFrame(pe, e, frame);
    const actual = pa?.kind === 'native' && frame < pa.frames ? renderFrame(pa, a, frame) : undefined;
    let differs: Uint8Array | undefined;
    if (expected && actual && expected.width === actual.width && expected.height === actual.height) {
      differs = new Uint8Array(expected.width * expected.height);
      comparePixels(pe, pa, pair.tolerance.abs ?? 0, { frame, differs });
    }
    await attachImages(c, pair.assets, expected, actual, differs);
  } catch (err) {
    c.metrics = { ...c.metrics, assetsError: reason(err) };
  }
}

function list(items: readonly string[], max = 5): string {
  return items.slice(0, max).join(', ') + (items.length > max ? ` and ${items.length - max} more` : '');
}

/** Both sides read, or the comparison that fails because one cannot be. */
async function readBoth(
  pair: LeafPair,
  level: DicomLevel | undefined,
): Promise<{ e: SeriesGroup[]; a: SeriesGroup[] } | Comparison> {
  const kind = pair.property.kind;
  const e = await readSide(pair, pair.expected);
  if ('problem' in e) return failed(pair, 'dicom', `The expected ${kind} cannot be read: ${e.problem}`);
  const a = await readSide(pair, pair.actual);
  if ('problem' in a) {
    return failed(pair, 'dicom', `The actual ${kind} cannot be read: ${a.problem}`, {
      expected: describe(e.series, level),
    });
  }
  return { e: e.series, a: a.series };
}

function emptyTally(e: readonly SeriesGroup[], a: readonly SeriesGroup[]): Tally {
  const count = (side: readonly SeriesGroup[]): number => side.reduce((n, s) => n + s.instances.length, 0);
  return {
    differences: [],
    attributeDifferences: 0,
    differingPixels: 0,
    maxAbsDiff: 0,
    differingFrames: 0,
    pixelProblems: [],
    missing: [],
    extra: [],
    instances: { expected: count(e), actual: count(a), matched: 0, matchedBy: [] },
  };
}

/** What makes the property differ, in words (empty when it matches). */
function problemsOf(tally: Tally, abs: number, allowed: number): string[] {
  const problems: string[] = [];
  if (tally.missing.length > 0) problems.push(`missing in the actual output: ${list(tally.missing)}`);
  if (tally.extra.length > 0) problems.push(`not in the expected output: ${list(tally.extra)}`);
  if (tally.attributeDifferences > 0) {
    const shownDiffs = tally.differences.map(
      (d) =>
        `${d.series ? `${d.series} ` : ''}${d.instance} ${d.attribute}: ${d.expected} expected, ${d.actual} actual`,
    );
    problems.push(`${tally.attributeDifferences} attribute difference(s): ${list(shownDiffs, 3)}`);
  }
  if (tally.pixelProblems.length > 0) problems.push(`pixels not comparable: ${list(tally.pixelProblems, 3)}`);
  if (tally.differingFrames > 0) problems.push(`${tally.differingFrames} compressed frame(s) differ`);
  if (tally.differingPixels > allowed) {
    problems.push(
      `${tally.differingPixels} pixel(s) differ by more than ${abs} (at most ${allowed} may); the largest difference is ${tally.maxAbsDiff}`,
    );
  }
  return problems;
}

/** The comparison's metrics: the series (studies only), the instances and what differs. */
function metricsOf(
  tally: Tally,
  allowed: number,
  series: { expected: number; actual: number; pairing: Pairing<SeriesGroup> } | undefined,
): Record<string, unknown> {
  return {
    ...(series
      ? {
          series: {
            expected: series.expected,
            actual: series.actual,
            matched: series.pairing.pairs.length,
            matchedBy: series.pairing.by,
          },
        }
      : {}),
    instances: tally.instances,
    missing: tally.missing,
    extra: tally.extra,
    attributeDifferences: tally.attributeDifferences,
    differences: tally.differences,
    differingPixels: tally.differingPixels,
    maxAbsDiff: tally.maxAbsDiff,
    maxDiffPixels: allowed,
    ...(tally.differingFrames > 0 ? { differingFrames: tally.differingFrames } : {}),
    ...(tally.pixelProblems.length > 0 ? { pixelProblems: tally.pixelProblems } : {}),
  };
}

/** Compares two DICOM outputs (an image file, a series folder or a study folder). */
export async function compareDicom(pair: LeafPair): Promise<Comparison> {
  const level = dicomLevelOf(pair.property);
  const sides = await readBoth(pair, level);
  if (!('e' in sides)) return sides;
  const { e, a } = sides;
  const abs = pair.tolerance.abs ?? 0;
  const allowed = pair.tolerance.maxDiffPixels ?? 0;
  const ignored = ignoredTags(pair.tolerance.ignore);
  const tally = emptyTally(e, a);
  const study = level === 'study';
  const seriesPairing: Pairing<SeriesGroup> = study
    ? matchSeries(e, a)
    : { pairs: [[e[0]!, a[0]!]], missing: [], extra: [], by: 'the only series' };
  tally.missing.push(...seriesPairing.missing.map(seriesLabel));
  tally.extra.push(...seriesPairing.extra.map(seriesLabel));
  let shown: Pairing<DicomHeader> | undefined;
  for (const [es, as] of seriesPairing.pairs) {
    const pairing = await compareSeries(es, as, study ? seriesLabel(es) : undefined, abs, ignored, tally);
    shown ??= pairing.pairs.length > 0 ? pairing : undefined;
  }
  const problems = problemsOf(tally, abs, allowed);
  const c: Comparison = {
    ...baseOf(pair.property, pair.path, 'dicom', pair.tolerance),
    passed: problems.length === 0,
    expected: describe(e, level),
    actual: describe(a, level),
    metrics: metricsOf(
      tally,
      allowed,
      study ? { expected: e.length, actual: a.length, pairing: seriesPairing } : undefined,
    ),
    ...(problems.length > 0 ? { message: problems.join('; ') } : {}),
  };
  if (shown) await thumbnails(c, pair, shown);
  return c;
}
