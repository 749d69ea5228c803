/**
 * A dataset folder of real berth cases for the EIR dataset tests: a manifest with every modality
 * EIR streams (string, object of primitives, float32 ndarray, bool 2-D ndarray, PNG, JPEG in;
 * object, float32 ndarray, PNG, string, survival out), trees written with the SDK's validating
 * writers, values seeded so tests can rebuild them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { expect } from 'chai';
import { checkManifest, type MachineDefinition } from '../../src/check/manifest.js';
import { loadManifestText } from '../../src/manifest/load.js';
import { ndarray } from '../../src/ndarray/ndarray.js';
import { Outputs } from '../../src/sdk/outputs.js';
import { tempDir } from './temp.js';
import { prng } from './prng.js';

/** The manifest of the fixture, as a JSON-able document. */
export const MANIFEST = {
  'metadata-version': 2,
  info: { name: 'eir-dataset' },
  'schema-in': {
    notes: { type: 'string' },
    clinical: {
      type: 'object',
      properties: {
        age: { type: 'integer' },
        sex: { enum: ['F', 'M'] },
        smoker: { type: 'boolean' },
        bmi: { type: 'number', nullable: true },
        ratio: { type: 'percentage' },
      },
    },
    volume: { type: 'ndarray', dtype: 'float32', shape: [3, 4] },
    genotype: { type: 'ndarray', dtype: 'bool', shape: [4, 10] },
    photo: { 'mime-type': 'image/png' },
    scan: { 'mime-type': 'image/jpeg' },
  },
  'schema-out': {
    scores: {
      type: 'object',
      properties: { grade: { type: 'integer' }, label: { enum: ['low', 'high'] } },
    },
    heatmap: { type: 'ndarray', dtype: 'float32', shape: [2, 3] },
    mask: { 'mime-type': 'image/png' },
    caption: { type: 'string' },
    outcome: { type: 'survival' },
  },
};

/** Image sizes of the fixture. */
export const PHOTO = { width: 6, height: 5 };
export const SCAN = { width: 8, height: 8 };
export const MASK = { width: 4, height: 3 };

/** A machine definition from a manifest document; fails the test on manifest errors. */
export function definitionOf(doc: object): MachineDefinition {
  const check = checkManifest(loadManifestText(JSON.stringify(doc), 'machine.json'));
  const errors = check.findings.filter((f) => f.severity === 'error');
  expect(errors, JSON.stringify(errors)).to.deep.equal([]);
  return check.definition;
}

/** The values of case `index`, before writing. */
export interface CaseValues {
  notes: string;
  clinical: { age: number; sex: 'F' | 'M'; smoker: boolean; bmi?: number; ratio: number };
  volume: Float32Array;
  genotype: Uint8Array;
  photo: Uint8Array; // RGB
  scan: Uint8Array; // RGB before JPEG compression
  scores: { grade: number; label: 'low' | 'high' };
  heatmap: Float32Array;
  mask: Uint8Array; // RGBA
  caption: string;
  outcome: { event: boolean; time: number };
}

/** Deterministic values of case `index`; odd cases leave the nullable `bmi` out. */
export function caseValues(index: number): CaseValues {
  const r = prng(500 + index);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  return {
    notes: `patient ${index} reports ünïcode and "quotes"`,
    clinical: {
      age: 20 + index,
      sex: index % 2 === 0 ? 'F' : 'M',
      smoker: index % 3 === 0,
      ...(index % 2 === 0 ? { bmi: 20 + index / 4 } : {}),
      ratio: 0.125 * (index % 8),
    },
    volume: Float32Array.from({ length: 12 }, () => r() * 100 - 50),
    genotype: Uint8Array.from({ length: 40 }, () => (r() < 0.5 ? 1 : 0)),
    photo: bytes(PHOTO.width * PHOTO.height * 3),
    scan: Uint8Array.from({ length: SCAN.width * SCAN.height * 3 }, (_, i) => (i * 7 + index * 13) % 256),
    scores: { grade: index % 5, label: index % 2 === 0 ? 'low' : 'high' },
    heatmap: Float32Array.from({ length: 6 }, () => r()),
    mask: bytes(MASK.width * MASK.height * 4),
    caption: `caption of case ${index}`,
    outcome: { event: index % 2 === 1, time: 1.5 + index },
  };
}

/** An RGB PNG (colour type 2). */
export function rgbPng(rgb: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    png.data[4 * p] = rgb[3 * p]!;
    png.data[4 * p + 1] = rgb[3 * p + 1]!;
    png.data[4 * p + 2] = rgb[3 * p + 2]!;
    png.data[4 * p + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: 2 });
}

/** An RGBA PNG (colour type 6). */
export function rgbaPng(rgba: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba);
  return PNG.sync.write(png, { colorType: 6 });
}

/** A baseline JPEG of an RGB image (jpeg-js, quality 90). */
export function rgbJpeg(rgb: Uint8Array, width: number, height: number): Buffer {
  const rgba = Buffer.alloc(width * height * 4, 255);
  for (let p = 0; p < width * height; p++)
    rgb.subarray(3 * p, 3 * p + 3).forEach((v, c) => (rgba[4 * p + c] = v));
  return jpeg.encode({ width, height, data: rgba }, 90).data;
}

/** Writes case `index` under `<root>/<name>/input` and `<root>/<name>/<outDir>` with the SDK writers. */
export async function writeCase(
  definition: MachineDefinition,
  root: string,
  name: string,
  index: number,
  outDir: 'expected' | 'output' = 'expected',
): Promise<void> {
  const v = caseValues(index);
  const input = path.join(root, name, 'input');
  const output = path.join(root, name, outDir);
  await mkdir(input, { recursive: true });
  await mkdir(output, { recursive: true });
  const ins = new Outputs(input, definition.inputs, {});
  await ins.set('notes', v.notes);
  await ins.set('clinical', v.clinical);
  await ins.ndarray('volume', ndarray('float32', [3, 4], v.volume));
  await ins.ndarray('genotype', ndarray('bool', [4, 10], v.genotype));
  await ins.file('photo', rgbPng(v.photo, PHOTO.width, PHOTO.height));
  await ins.file('scan', rgbJpeg(v.scan, SCAN.width, SCAN.height));
  const outs = new Outputs(output, definition.outputs, {});
  await outs.set('scores', v.scores);
  await outs.ndarray('heatmap', ndarray('float32', [2, 3], v.heatmap));
  await outs.file('mask', rgbaPng(v.mask, MASK.width, MASK.height));
  await outs.set('caption', v.caption);
  await outs.set('outcome', v.outcome);
}

/** A dataset folder with `count` cases named `case-00`, `case-01`, … plus a README (not a case). */
export async function writeDataset(
  definition: MachineDefinition,
  count: number,
  root?: string,
): Promise<{ dir: string; ids: string[] }> {
  const dir = root ?? (await tempDir());
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `case-${String(i).padStart(2, '0')}`;
    await writeCase(definition, dir, id, i);
    ids.push(id);
  }
  await writeFile(path.join(dir, 'README.md'), 'not a case\n');
  return { dir, ids };
}
