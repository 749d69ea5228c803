/**
 * Masks over their input series, for the HTML report: an integer `ndarray` output (2-D or 3-D)
 * is drawn as coloured labels over the middle slice of the input series it fits.
 *
 * Decisions, written once here:
 * - A mask fits a series when its shape is `[instances, rows, columns]` (3-D) or `[rows,
 *   columns]` (2-D) of that series; the input series are the top-level `dicom-series` inputs and
 *   the series of top-level `dicom-study` inputs, in schema order; the first that fits is used.
 * - Axis 0 of a 3-D mask follows the series' geometric order (as `DicomSeries.volume()` gives it):
 *   the slice shown is the middle one, ⌊n/2⌋, for both. A 2-D mask is drawn on the middle slice.
 * - Integer and bool dtypes only, C order only; label 0 is transparent, labels 1–6 get red,
 *   green, blue, yellow, magenta and cyan at 50 % opacity (then the colours repeat).
 * - Only the shown slice of the mask is read (its bytes at their offset), so the memory used is
 *   one slice whatever the mask's size.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { indexFolder } from '../../dicom/index.js';
import type { DicomHeader } from '../../dicom/scan.js';
import type { Property } from '../../kinds/property.js';
import { kindOf } from '../../kinds/registry.js';
import { DTYPES } from '../../ndarray/dtype.js';
import { fromBytes } from '../../ndarray/ndarray.js';
import type { NpyHeader } from '../../ndarray/npy.js';
import { encodePng, fitWithin, grayToRgba } from './raster.js';
import { pickMiddle, windowedSlice } from './render-slice.js';

/** An input series a mask may lie over. */
export interface OverlayBase {
  /** The input's path in the tree (`ct`, `study/<SeriesInstanceUID>`). */
  readonly rel: string;
  /** In geometric order. */
  readonly instances: readonly DicomHeader[];
  readonly rows: number;
  readonly columns: number;
}

const COLOURS: readonly [number, number, number][] = [
  [255, 0, 0],
  [0, 200, 0],
  [0, 90, 255],
  [255, 220, 0],
  [255, 0, 255],
  [0, 230, 230],
];

/** The series of the top-level DICOM series and study inputs (unreadable ones are left out). */
export async function overlayBases(inputRoot: string, inputs: readonly Property[]): Promise<OverlayBase[]> {
  const out: OverlayBase[] = [];
  for (const p of inputs) {
    const shape = kindOf(p.kind).shape;
    if (shape !== 'dicom-series' && shape !== 'dicom-study') continue;
    try {
      const index = await indexFolder(path.join(inputRoot, p.name), {
        maxDepth: shape === 'dicom-study' ? 1 : 0,
      });
      for (const s of index.series.values()) {
        const first = s.instances[0];
        if (!first || first.Rows === undefined || first.Columns === undefined) continue;
        const rel = path.relative(inputRoot, path.dirname(first.path)).split(path.sep).join('/');
        out.push({ rel, instances: s.instances, rows: first.Rows, columns: first.Columns });
      }
    } catch {
      // No picture for an unreadable input; the input tree says why.
    }
  }
  return out;
}

/** The first base a mask of this shape fits (see the module comment). */
export function baseFor(shape: readonly number[], bases: readonly OverlayBase[]): OverlayBase | undefined {
  if (shape.length === 2) return bases.find((b) => b.rows === shape[0] && b.columns === shape[1]);
  if (shape.length === 3) {
    return bases.find(
      (b) => b.instances.length === shape[0] && b.rows === shape[1] && b.columns === shape[2],
    );
  }
  return undefined;
}

/** True for the dtypes a mask may have (integers and bool). */
export function isMaskDtype(h: NpyHeader): boolean {
  return ['i', 'u', 'b'].includes(DTYPES[h.dtype].kind) && !h.fortranOrder;
}

/** One slice of a mask file: `rows × columns` values, read at its offset. */
async function maskSlice(
  file: string,
  h: NpyHeader,
  z: number,
  rows: number,
  columns: number,
): Promise<number[]> {
  const itemSize = DTYPES[h.dtype].itemSize;
  const length = rows * columns * itemSize;
  const bytes = new Uint8Array(length);
  const handle = await open(file, 'r');
  try {
    await handle.read(bytes, 0, length, h.dataOffset + z * length);
  } finally {
    await handle.close();
  }
  const arr = fromBytes(h.dtype, [rows, columns], bytes, { byteOrder: h.byteOrder });
  return Array.from(arr.data as ArrayLike<number | bigint>, Number);
}

/** A mask drawn over its series' middle slice, and what it shows. */
export interface RenderedOverlay {
  png: Buffer;
  width: number;
  height: number;
  caption: string;
}

/** Draws the mask in `file` over the middle slice of `base`, at most `maxSize` pixels a side. */
export async function renderOverlay(
  file: string,
  h: NpyHeader,
  base: OverlayBase,
  maxSize: number,
): Promise<RenderedOverlay> {
  const middle = pickMiddle(base.instances);
  const slice = await windowedSlice(middle.header, middle.frame);
  const z = h.shape.length === 3 ? middle.position : 0;
  const labels = await maskSlice(file, h, z, base.rows, base.columns);
  const img = grayToRgba(slice.gray, slice.columns, slice.rows);
  const seen = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label === 0) continue;
    seen.add(label);
    const c = COLOURS[(((Math.abs(label) - 1) % COLOURS.length) + COLOURS.length) % COLOURS.length]!;
    for (let k = 0; k < 3; k++) img.data[i * 4 + k] = Math.round((img.data[i * 4 + k]! + c[k]!) / 2);
  }
  const small = fitWithin(img, maxSize, 'nearest');
  const shown = [...seen].sort((a, b) => a - b);
  const caption =
    `mask over ${base.rel}, slice ${middle.position + 1} of ${middle.count} · ${base.columns} × ${base.rows} · ` +
    `${slice.window} · ${shown.length ? `labels ${shown.slice(0, 8).join(', ')}${shown.length > 8 ? ', …' : ''}` : 'no label on this slice'}`;
  return { png: encodePng(small), width: small.width, height: small.height, caption };
}
