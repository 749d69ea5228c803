/**
 * The berth sample machine: a toy lung-nodule screen. It thresholds a CT series in Hounsfield
 * units, counts the slices holding candidates, writes a mask, per-slice measurements, a preview
 * image and a summary. A demonstration of the SDK, not a medical device.
 */
import { PNG } from 'pngjs';
import { ndarray, openMachine } from 'berth';
import type { Inputs, Outputs } from './machine-types.js';

const m = await openMachine<Inputs, Outputs>();
await m.status.progress(1);

const threshold = await m.inputs.get('threshold-hu');
const priority = await m.inputs.get('priority');
const age = await m.inputs.get('patient-age');
const ct = await m.inputs.dicomSeries('ct');

const first = ct.instances[0]!.header;
const rows = first.Rows ?? 0;
const columns = first.Columns ?? 0;
const slope = Number(first.get('RescaleSlope') ?? 1);
const intercept = Number(first.get('RescaleIntercept') ?? 0);
const spacing = (first.get('PixelSpacing') as number[] | undefined) ?? [1, 1];
const pixelArea = (spacing[0] ?? 1) * (spacing[1] ?? 1);

const mask = ndarray('uint8', [ct.size, rows, columns]);
const measurements: { slice: number; 'area-mm2': number }[] = [];
let middle: Float64Array | undefined;
for (const [i, instance] of ct.instances.entries()) {
  const pixels = await instance.pixels();
  if (pixels.kind !== 'native') throw new Error(`slice ${i} is compressed (${instance.transferSyntaxUid})`);
  const hu = Float64Array.from(pixels.data as ArrayLike<number>, (v) => v * slope + intercept);
  let count = 0;
  for (let k = 0; k < hu.length; k++) {
    if (hu[k]! > threshold) {
      mask.data[i * rows * columns + k] = 1;
      count++;
    }
  }
  if (count > 0) measurements.push({ slice: i, 'area-mm2': Math.round(count * pixelArea * 100) / 100 });
  if (i === Math.floor(ct.size / 2)) middle = hu;
  await m.status.progress(5 + (90 * (i + 1)) / ct.size);
}

const candidates = measurements.length;
const largest = Math.max(0, ...measurements.map((x) => x['area-mm2']));
const confidence = candidates === 0 ? 0.95 : Math.min(0.99, 0.5 + largest / (largest + 500));
if (age !== undefined && age < 18) await m.status.warn('The screen is not meant for patients under 18');

await m.outputs.set('nodule-found', candidates > 0);
await m.outputs.set('confidence', Math.round(confidence * 1000) / 1000);
await m.outputs.set('nodule-count', candidates);
await m.outputs.set('measurements', measurements);
await m.outputs.set('mask.npy', mask);
await m.outputs.set(
  'preview.png',
  preview(middle ?? new Float64Array(rows * columns), rows, columns, threshold),
);
await m.outputs.set(
  'summary',
  `${candidates} slice(s) of ${ct.size} hold voxels above ${threshold} HU (${priority} priority).`,
);
await m.outputs.set('analysed-at', new Date());
await m.status.progress(100);
await m.finish();

/** The middle slice in a lung window, candidates in red. */
function preview(hu: Float64Array, height: number, width: number, cut: number): Buffer {
  const png = new PNG({ width, height });
  const [lo, hi] = [-1000, 400];
  for (let k = 0; k < width * height; k++) {
    const v = Math.round((255 * (Math.min(hi, Math.max(lo, hu[k]!)) - lo)) / (hi - lo));
    const hot = hu[k]! > cut;
    png.data[4 * k] = hot ? 255 : v;
    png.data[4 * k + 1] = hot ? 40 : v;
    png.data[4 * k + 2] = hot ? 40 : v;
    png.data[4 * k + 3] = 255;
  }
  return PNG.sync.write(png);
}
