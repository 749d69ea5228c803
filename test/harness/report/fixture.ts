/**
 * A realistic run for the report tests: a manifest with DICOM, image, primitive, array and
 * ndarray properties; input, output and expected trees (synthetic CT and MR series, PNG and JPEG
 * outputs, an XSS-looking value and file name); comparison assets rendered from the series; and
 * the RunReport of a failed comparison.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { loadMachine, type MachineDefinition } from '../../../src/check/manifest.js';
import { writeSeries, writeStudy } from '../../../src/dicom/synth.js';
import { ndarray } from '../../../src/ndarray/ndarray.js';
import { encodeNpy } from '../../../src/ndarray/npy.js';
import { renderMiddleSlice } from '../../../src/harness/report/render-slice.js';
import type { RunReport } from '../../../src/harness/types.js';

/** A value that would run script if any part of the page failed to escape it. */
export const XSS = `<script>alert("xss")</script><img src=x onerror="alert('xss')">&amp;`;
/** An undeclared output file whose name is markup. */
export const XSS_FILE = `<img src=y onerror=alert(2)>.txt`;

export const MANIFEST = {
  'metadata-version': 2,
  info: { name: 'lung-nodule-seg', title: 'Lung nodule segmentation' },
  'schema-in': {
    ct: { 'dicom-type': 'dicom-series', modalities: ['CT'] },
    priors: { 'dicom-type': 'dicom-study', nullable: true },
    'patient-age': { type: 'integer', minimum: 0 },
    indication: { type: 'string' },
  },
  'schema-out': {
    mask: { 'dicom-type': 'dicom-series' },
    'overlay.png': { 'mime-type': 'image/png' },
    'photo.jpg': { 'mime-type': 'image/jpeg' },
    score: { type: 'percentage' },
    label: { enum: ['benign', 'malignant'] },
    summary: { type: 'string' },
    measurements: {
      type: 'array',
      items: { type: 'object', properties: { slice: { type: 'integer' }, area: { type: 'number' } } },
    },
    'probabilities.npy': { type: 'ndarray', dtype: 'float32', shape: [null] },
    confidence: { type: 'number', nullable: true },
  },
};

/** Everything a report test needs; remove with {@link ReportFixture.cleanup}. */
export interface ReportFixture {
  dir: string;
  input: string;
  output: string;
  expected: string;
  assets: string;
  definition: MachineDefinition;
  report: RunReport;
  cleanup(): Promise<void>;
}

/** A 512 × 384 RGB PNG: a gradient with a disc, large enough to need downscaling. */
export function overlayPng(width = 512, height = 384): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const inDisc = (x - width * 0.6) ** 2 + (y - height * 0.45) ** 2 < (height * 0.2) ** 2;
      png.data[i] = inDisc ? 230 : Math.round((x / width) * 120);
      png.data[i + 1] = inDisc ? 60 : Math.round((y / height) * 160);
      png.data[i + 2] = inDisc ? 40 : 140;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

function photoJpeg(): Buffer {
  const w = 160;
  const h = 120;
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      data[i] = (x * 255) / w;
      data[i + 1] = ((x + y) % 32) * 8;
      data[i + 2] = (y * 255) / h;
      data[i + 3] = 255;
    }
  }
  return jpeg.encode({ data, width: w, height: h }, 85).data;
}

/** A diff picture: where the two gray PNGs differ, red over the dimmed expected image. */
function diffPng(a: Buffer, b: Buffer): Buffer {
  const pa = PNG.sync.read(a);
  const pb = PNG.sync.read(b);
  const out = new PNG({ width: pa.width, height: pa.height });
  for (let i = 0; i < pa.data.length; i += 4) {
    const d = Math.abs(pa.data[i]! - (pb.data[i] ?? 0));
    const base = pa.data[i]! >> 2;
    out.data[i] = d > 2 ? 255 : base;
    out.data[i + 1] = d > 2 ? 40 : base;
    out.data[i + 2] = d > 2 ? 40 : base;
    out.data[i + 3] = 255;
  }
  return PNG.sync.write(out);
}

async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

async function writeOutputs(root: string, variant: 'actual' | 'expected'): Promise<void> {
  const actual = variant === 'actual';
  await writeSeries(path.join(root, 'mask'), {
    modality: 'MR',
    seed: actual ? 'mask-actual' : 'mask-expected',
    instances: 5,
    rows: 96,
    columns: 96,
  });
  await writeFile(path.join(root, 'overlay.png'), overlayPng());
  await writeFile(path.join(root, 'photo.jpg'), photoJpeg());
  await writeText(path.join(root, 'score'), actual ? '91.2%\n' : '87.5%\n');
  await writeText(path.join(root, 'label'), 'malignant\n');
  await writeText(path.join(root, 'summary'), actual ? XSS : 'A 12 mm nodule in the right upper lobe.');
  await writeText(path.join(root, 'measurements', '0', 'slice'), '3');
  await writeText(path.join(root, 'measurements', '0', 'area'), actual ? '113.2' : '112.9');
  await writeText(path.join(root, 'measurements', '1', 'slice'), '4');
  await writeText(path.join(root, 'measurements', '1', 'area'), '87.0');
  await writeFile(
    path.join(root, 'probabilities.npy'),
    encodeNpy(ndarray('float32', [4], [0.1, 0.2, 0.3, 0.4])),
  );
  if (actual) await writeText(path.join(root, XSS_FILE), 'debug output\n');
}

/** Builds the fixture in a fresh temporary folder. */
export async function makeReportFixture(): Promise<ReportFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-report-'));
  const manifest = path.join(dir, 'machine.json');
  await writeFile(manifest, JSON.stringify(MANIFEST, null, 2));
  const definition = await loadMachine(manifest);

  const input = path.join(dir, 'input');
  await writeSeries(path.join(input, 'ct'), {
    modality: 'CT',
    seed: 'ct',
    instances: 9,
    rows: 128,
    columns: 128,
  });
  await writeStudy(path.join(input, 'priors'), { seed: 'priors', rows: 64, columns: 64 });
  await writeText(path.join(input, 'patient-age'), '64\n');
  await writeText(path.join(input, 'indication'), 'Incidental nodule on chest X-ray');

  const output = path.join(dir, 'output');
  const expected = path.join(dir, 'expected');
  await writeOutputs(output, 'actual');
  await writeOutputs(expected, 'expected');

  const assets = path.join(dir, 'assets');
  await mkdir(path.join(assets, 'mask'), { recursive: true });
  const exp = await renderMiddleSlice(path.join(expected, 'mask'));
  const act = await renderMiddleSlice(path.join(output, 'mask'));
  await writeFile(path.join(assets, 'mask', 'expected.png'), exp);
  await writeFile(path.join(assets, 'mask', 'actual.png'), act);
  await writeFile(path.join(assets, 'mask', 'diff.png'), diffPng(exp, act));

  const report: RunReport = {
    schema: 'berth-run-report/1',
    berthVersion: '0.1.0',
    machine: { name: 'lung-nodule-seg', manifest, dir },
    case: { name: 'ct-chest-01', path: path.join(dir, 'cases', 'ct-chest-01.yaml') },
    driver: 'process',
    command: ['node', 'dist/main.js', '--threads', '4'],
    outcome: 'failed-compare',
    exitCode: 10,
    reason: '2 of 5 comparisons failed: score, mask',
    startedAt: '2024-05-01T09:30:00.000Z',
    timeoutMs: 600_000,
    usage: { wallMs: 12_345, cpuMs: 40_210, peakRssBytes: 812_000_000 },
    process: { exitCode: 0, signal: null, timedOut: false, stoppedByBerth: false },
    status: {
      progress: 100,
      warnings: ['slice 7 has no ImagePositionPatient; sorted by InstanceNumber'],
      error: null,
    },
    stdout: {
      file: path.join(dir, 'stdout.log'),
      totalBytes: 10_200_000,
      droppedBytes: 9_200_000,
      tail: `epoch 9/10 loss=0.031\nepoch 10/10 loss=0.029\nwrote mask (5 slices)\n${XSS}\n`,
    },
    stderr: {
      file: path.join(dir, 'stderr.log'),
      totalBytes: 312,
      droppedBytes: 0,
      tail: 'UserWarning: TF32 disabled\n\x1b[31mred text\x1b[0m\n',
    },
    inputFindings: [],
    outputFindings: [
      {
        code: 'BERTH_E_TREE_UNDECLARED',
        severity: 'warning',
        message: `The tree holds an entry the schema does not declare: ${XSS_FILE}`,
        path: path.join(output, XSS_FILE),
        expected: 'a declared property',
      },
    ],
    comparisons: [
      {
        path: 'label',
        property: 'schema-out/label',
        kind: 'enum',
        method: 'exact',
        passed: true,
        expected: 'malignant',
        actual: 'malignant',
      },
      {
        path: 'score',
        property: 'schema-out/score',
        kind: 'percentage',
        method: 'numeric',
        passed: false,
        expected: '87.5%',
        actual: '91.2%',
        metrics: { absDiff: 0.037 },
        tolerance: { abs: 0.01 },
        message: 'differs by 3.7 points; tolerance is 1 point',
      },
      {
        path: 'mask',
        property: 'schema-out/mask',
        kind: 'dicom-series',
        method: 'dicom',
        passed: false,
        metrics: { differingPixels: 4121, dice: { '1': 0.912 } },
        tolerance: { maxDiffPixels: 100, ignore: ['InstanceCreationTime'] },
        message: '4121 pixels differ in 5 slices',
        images: { expected: 'mask/expected.png', actual: 'mask/actual.png', diff: 'mask/diff.png' },
      },
      {
        path: 'summary',
        property: 'schema-out/summary',
        kind: 'string',
        method: 'presence',
        passed: true,
        actual: XSS,
      },
      {
        path: 'measurements/0/area',
        property: 'schema-out/measurements/[]/area',
        kind: 'number',
        method: 'numeric',
        passed: true,
        expected: '112.9',
        actual: '113.2',
        metrics: { absDiff: 0.3, relDiff: 0.00266 },
        tolerance: { rel: 0.01 },
      },
    ],
    notices: ['nvidia: true is not honoured by the process driver'],
    trees: { input, output, status: path.join(dir, 'status'), expected },
  };

  return {
    dir,
    input,
    output,
    expected,
    assets,
    definition,
    report,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
