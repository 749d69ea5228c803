/**
 * `dice`: segmentation-like outputs (an ndarray or an image of integer labels) compared by the
 * Dice coefficient of each label, `2·|E∩A| / (|E| + |A|)`, over the labels present in either
 * (0 and NaN are background and not scored). They match when every label's Dice is at least the
 * tolerance's `dice` (default {@link DEFAULT_DICE}). Image pixels are labelled by their grey value
 * (`R` when R = G = B, in the image's own bit depth) or by their colour `#rrggbb`; alpha is ignored.
 */
import { kindOf } from '../../kinds/registry.js';
import type { NdArray } from '../../ndarray/ndarray.js';
import type { Comparison } from '../types.js';
import { attachImages } from './assets.js';
import { describeArray, laneReader, readPair } from './allclose.js';
import { baseOf, failed, reason, type LeafPair } from './context.js';
import { decodeImageFile, type DecodedImage } from './raster.js';
import { DEFAULT_DICE } from './tolerance.js';

/** A label. */
export type Label = number | string;

/** Per-label counts and the Dice coefficient. */
export interface LabelScore {
  label: Label;
  expected: number;
  actual: number;
  overlap: number;
  dice: number;
}

/**
 * Scores every label of two label maps of the same number of elements, read through `e(i)` and
 * `a(i)`; `differs`, when given, gets 1 at every element whose labels differ.
 */
export function diceScores(
  n: number,
  e: (i: number) => Label,
  a: (i: number) => Label,
  differs?: Uint8Array,
): LabelScore[] {
  const counts = new Map<Label, { e: number; a: number; both: number }>();
  const at = (l: Label) => {
    let c = counts.get(l);
    if (!c) counts.set(l, (c = { e: 0, a: 0, both: 0 }));
    return c;
  };
  const background = (l: Label) => l === 0 || (typeof l === 'number' && Number.isNaN(l));
  for (let i = 0; i < n; i++) {
    const le = e(i);
    const la = a(i);
    const same = le === la || (background(le) && background(la));
    if (!same && differs) differs[i] = 1;
    if (!background(le)) at(le).e++;
    if (!background(la)) at(la).a++;
    if (same && !background(le)) at(le).both++;
  }
  return [...counts.entries()]
    .map(([label, c]) => ({
      label,
      expected: c.e,
      actual: c.a,
      overlap: c.both,
      dice: (2 * c.both) / (c.e + c.a),
    }))
    .sort((x, y) =>
      typeof x.label === 'number' && typeof y.label === 'number'
        ? x.label - y.label
        : String(x.label).localeCompare(String(y.label)),
    );
}

function imageLabels(img: DecodedImage): (i: number) => Label {
  const d = img.data;
  const hex = (v: number) =>
    Math.round((v * 255) / img.maxValue)
      .toString(16)
      .padStart(2, '0');
  return (i) => {
    const r = d[4 * i]!;
    const g = d[4 * i + 1]!;
    const b = d[4 * i + 2]!;
    return r === g && g === b ? r : `#${hex(r)}${hex(g)}${hex(b)}`;
  };
}

/** The verdict and metrics of a set of label scores against a threshold. */
function verdict(
  scores: LabelScore[],
  threshold: number,
): Pick<Comparison, 'passed' | 'metrics' | 'message'> {
  const dice: Record<string, number> = {};
  const expectedCount: Record<string, number> = {};
  const actualCount: Record<string, number> = {};
  for (const s of scores) {
    dice[String(s.label)] = s.dice;
    expectedCount[String(s.label)] = s.expected;
    actualCount[String(s.label)] = s.actual;
  }
  const low = scores.filter((s) => s.dice < threshold);
  const minDice = scores.length > 0 ? Math.min(...scores.map((s) => s.dice)) : 1;
  return {
    passed: low.length === 0,
    metrics: { labels: scores.map((s) => s.label), dice, minDice, threshold, expectedCount, actualCount },
    ...(low.length > 0
      ? {
          message: `Dice below ${threshold} for ${low
            .slice(0, 10)
            .map(
              (s) =>
                `label ${s.label} (${s.dice.toFixed(4)}: ${s.expected} expected, ${s.actual} actual, ${s.overlap} shared)`,
            )
            .join(', ')}${low.length > 10 ? ` and ${low.length - 10} more` : ''}`,
        }
      : {}),
  };
}

async function diceOfArrays(pair: LeafPair, threshold: number): Promise<Comparison> {
  const read = await readPair(pair, 'dice');
  if (!('e' in read)) return read;
  const { e, a } = read;
  const base = {
    ...baseOf(pair.property, pair.path, 'dice', pair.tolerance),
    expected: describeArray(e),
    actual: describeArray(a),
  };
  const complex = (x: NdArray) => x.dtype === 'complex64' || x.dtype === 'complex128';
  if (complex(e) || complex(a))
    return { ...base, passed: false, message: 'Dice needs real-valued labels, not complex' };
  if (e.shape.length !== a.shape.length || e.shape.some((n, i) => n !== a.shape[i])) {
    return {
      ...base,
      passed: false,
      message: `The shapes differ: [${e.shape.join(', ')}] expected, [${a.shape.join(', ')}] actual`,
    };
  }
  const scores = diceScores(e.data.length, laneReader(e), laneReader(a));
  return { ...base, ...verdict(scores, threshold) };
}

async function diceOfImages(pair: LeafPair, threshold: number): Promise<Comparison> {
  let e: DecodedImage;
  let a: DecodedImage;
  try {
    e = await decodeImageFile(pair.expected);
  } catch (err) {
    return failed(pair, 'dice', `The expected label image cannot be decoded: ${reason(err)}`);
  }
  try {
    a = await decodeImageFile(pair.actual);
  } catch (err) {
    return failed(pair, 'dice', `The actual label image cannot be decoded: ${reason(err)}`);
  }
  const base = {
    ...baseOf(pair.property, pair.path, 'dice', pair.tolerance),
    expected: `${e.width}×${e.height} ${e.format}`,
    actual: `${a.width}×${a.height} ${a.format}`,
  };
  if (e.width !== a.width || e.height !== a.height) {
    return { ...base, passed: false, message: 'The label images differ in size' };
  }
  const differs = new Uint8Array(e.width * e.height);
  const scores = diceScores(e.width * e.height, imageLabels(e), imageLabels(a), differs);
  const c: Comparison = { ...base, ...verdict(scores, threshold) };
  await attachImages(c, pair.assets, e, a, differs);
  return c;
}

/** Compares two label maps (`.npy` arrays, or PNG/JPEG images for file properties) by Dice per label. */
export function compareDice(pair: LeafPair): Promise<Comparison> {
  const threshold = pair.tolerance.dice ?? DEFAULT_DICE;
  const arrays = kindOf(pair.property.kind).model(pair.property).type === 'tensor';
  return arrays ? diceOfArrays(pair, threshold) : diceOfImages(pair, threshold);
}
