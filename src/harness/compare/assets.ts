/** The report's image folder: where comparisons put the pictures a report shows beside them. */
import path from 'node:path';
import { safeJoin } from '../../tree/safe-path.js';
import { writeFileAtomic } from '../../tree/atomic.js';
import type { Comparison } from '../types.js';
import { diffOverlay, encodePng, type Raster } from './raster.js';

/** Which picture of a comparison. */
export type AssetName = 'expected' | 'actual' | 'diff';

/**
 * Writes report images under one folder: the pictures of the output at path `a/2/b` go to
 * `a/2/b/expected.png`, `actual.png` and `diff.png`. Output paths are made of property names and
 * indices, each checked to be one safe segment, so no two outputs share a folder and nothing
 * lands outside it.
 */
export class Assets {
  constructor(
    /** The folder (created on first write). */
    readonly dir: string,
  ) {}

  /** Writes one picture as PNG; resolves to its path relative to {@link dir}, `/`-separated. */
  async write(outputPath: string, name: AssetName, image: Raster): Promise<string> {
    const segments = outputPath.split('/');
    const file = safeJoin(this.dir, ...segments, `${name}.png`);
    await writeFileAtomic(file, encodePng(image));
    return path.relative(this.dir, file).split(path.sep).join('/');
  }

  /**
   * Writes the expected and actual pictures, and the diff over the expected one when the two
   * have the same size and `differs` (one byte per pixel) is given.
   */
  async writeSet(
    outputPath: string,
    expected: Raster | undefined,
    actual: Raster | undefined,
    differs?: Uint8Array,
  ): Promise<NonNullable<Comparison['images']>> {
    const images: NonNullable<Comparison['images']> = {};
    if (expected) images.expected = await this.write(outputPath, 'expected', expected);
    if (actual) images.actual = await this.write(outputPath, 'actual', actual);
    if (expected && differs)
      images.diff = await this.write(outputPath, 'diff', diffOverlay(expected, differs));
    return images;
  }
}

/**
 * Writes a comparison's pictures when there is an asset folder and puts their paths in
 * `images`. A failed write never changes the verdict: it is noted as `metrics.assetsError`.
 */
export async function attachImages(
  c: Comparison,
  assets: Assets | undefined,
  expected: Raster | undefined,
  actual: Raster | undefined,
  differs?: Uint8Array,
): Promise<void> {
  if (!assets) return;
  try {
    const images = await assets.writeSet(c.path, expected, actual, differs);
    if (Object.keys(images).length > 0) c.images = images;
  } catch (e) {
    c.metrics = { ...c.metrics, assetsError: e instanceof Error ? e.message : String(e) };
  }
}
