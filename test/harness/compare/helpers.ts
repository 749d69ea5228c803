/** Shared fixtures of the comparison tests: machines, trees, images and DICOM runs. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { expect } from 'chai';
import { checkManifest, type MachineDefinition } from '../../../src/check/manifest.js';
import { synthInstances, type SeriesSpec } from '../../../src/dicom/synth.js';
import { encodePart10, type WriteElement } from '../../../src/dicom/write.js';
import { loadManifestText } from '../../../src/manifest/load.js';
import type { Comparison } from '../../../src/harness/types.js';

/** A machine whose outputs are `schemaOut`; fails the test when the manifest has errors. */
export function machine(schemaOut: object): MachineDefinition {
  const text = JSON.stringify({
    'metadata-version': 2,
    info: { name: 'compare-test' },
    'schema-in': { x: { type: 'string' } },
    'schema-out': schemaOut,
  });
  const check = checkManifest(loadManifestText(text, 'machine.json'));
  const errors = check.findings.filter((f) => f.severity === 'error');
  expect(errors, JSON.stringify(errors)).to.deep.equal([]);
  return check.definition;
}

/** Writes files by relative path (parents created). */
export async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [rel, data] of Object.entries(files)) {
    const abs = path.join(root, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, data);
  }
}

/** The comparison at an output path (fails the test when there is none or several). */
export function at(comparisons: readonly Comparison[], outputPath: string): Comparison {
  const found = comparisons.filter((c) => c.path === outputPath);
  expect(found, `comparisons at ${outputPath}: ${JSON.stringify(comparisons, null, 1)}`).to.have.length(1);
  return found[0]!;
}

/** An RGBA pixel function. */
export type Paint = (x: number, y: number) => [number, number, number, number?];

/** A smooth test picture: gradients and a disc, so JPEG artefacts stay small. */
export const picture: Paint = (x, y) => {
  const disc = Math.hypot(x - 20, y - 14) < 8;
  return disc ? [220, 40, 40] : [x * 4, y * 4, 128];
};

/** RGBA bytes of a painted image. */
export function paint(width: number, height: number, fn: Paint): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b, a = 255] = fn(x, y);
      data.set([r, g, b, a], (y * width + x) * 4);
    }
  }
  return data;
}

/** A PNG of a painted image. */
export function pngOf(width: number, height: number, fn: Paint): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(paint(width, height, fn));
  return PNG.sync.write(png);
}

/** A JPEG of a painted image. */
export function jpegOf(width: number, height: number, fn: Paint, quality = 90): Buffer {
  return jpeg.encode({ data: paint(width, height, fn), width, height }, quality).data;
}

/** A 16-bit greyscale PNG of `values` (row-major). */
export function png16(width: number, height: number, values: readonly number[]): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 16, inputHasAlpha: false });
  const data = Buffer.alloc(width * height * 2);
  values.forEach((v, i) => data.writeUInt16LE(v, i * 2)); // pngjs takes host-order samples
  png.data = data;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 16, inputHasAlpha: false });
}

/** Changes to one synthetic instance before it is written (index `i` along the series). */
export type Edit = (elements: WriteElement[], i: number) => WriteElement[];

/** Replaces (or adds) an element. */
export function setElement(elements: WriteElement[], el: WriteElement): WriteElement[] {
  const out = elements.filter((e) => e.tag !== el.tag);
  out.push(el);
  return out.sort((a, b) => a.tag - b.tag);
}

/**
 * Writes a synthetic series as one run of a machine would: `run` picks the UID root, so two runs
 * get different SOP, series and frame-of-reference UIDs but the same study and pixels, and
 * instance creation and content times that differ per run. Returns the file paths in order.
 */
export async function writeRun(
  dir: string,
  run: number,
  spec: SeriesSpec = {},
  edit?: Edit,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  let i = 0;
  for (const inst of synthInstances({
    rows: 16,
    columns: 16,
    instances: 4,
    studyInstanceUid: '1.2.826.0.1.3680043.8.498.1',
    ...spec,
    uidRoot: `1.2.826.0.1.3680043.8.498.${100 + run}`,
  })) {
    let elements: WriteElement[] = [...inst.elements];
    elements = setElement(elements, { tag: 0x00080012, vr: 'DA', value: `2025010${run}` });
    elements = setElement(elements, { tag: 0x00080013, vr: 'TM', value: `1200${10 + run}` });
    elements = setElement(elements, { tag: 0x00080033, vr: 'TM', value: `1300${10 + run}` });
    if (edit) elements = edit(elements, i);
    const file = path.join(dir, `${inst.sopInstanceUid}.dcm`);
    await writeFile(
      file,
      encodePart10(elements, { transferSyntaxUid: spec.transferSyntaxUid ?? '1.2.840.10008.1.2.1' }),
    );
    files.push(file);
    i++;
  }
  return files;
}

/** The pixel data element of an instance, as the typed array it was generated as. */
export function pixelsOf(elements: readonly WriteElement[]): Int16Array | Uint16Array | Uint8Array {
  const v = elements.find((e) => e.tag === 0x7fe00010)?.value;
  if (v instanceof Int16Array || v instanceof Uint16Array || v instanceof Uint8Array) return v;
  throw new Error('no native pixel data');
}
