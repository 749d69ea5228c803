/**
 * The berth sample machine: a toy lung-nodule screen. It reads a CT series as one volume in
 * Hounsfield units (`series.volume()`), thresholds it, counts the slices holding candidates, writes
 * a mask over the series (the HTML report draws it on the middle slice), per-slice measurements, a
 * preview image and a summary. A demonstration of the SDK, not a medical device.
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

// The series as one volume in Hounsfield units, slices in geometric order: [slices, rows, columns].
const { array: volume } = await ct.volume();
const [slices = 0, rows = 0, columns = 0] = volume.shape;
const hu = volume.data as Int16Array | Float32Array;
const [rowMm, columnMm] = ct.instances[0]!.pixelSpacing();
const pixelArea = rowMm * columnMm;
await m.status.progress(5);

const plane = rows * columns;
const mask = ndarray('uint8', [slices, rows, columns]);
const measurements: { slice: number; 'area-mm2': number }[] = [];
for (let i = 0; i < slices; i++) {
  let count = 0;
  for (let k = i * plane; k < (i + 1) * plane; k++) {
    if (hu[k]! > threshold) {
      mask.data[k] = 1;
      count++;
    }
  }
  if (count > 0) measurements.push({ slice: i, 'area-mm2': Math.round(count * pixelArea * 100) / 100 });
  await m.status.progress(5 + (90 * (i + 1)) / slices);
}
const middleSlice = Math.floor(slices / 2);
const middle = hu.subarray(middleSlice * plane, (middleSlice + 1) * plane);

const candidates = measurements.length;
const largest = Math.max(0, ...measurements.map((x) => x['area-mm2']));
const confidence = candidates === 0 ? 0.95 : Math.min(0.99, 0.5 + largest / (largest + 500));
if (age !== undefined && age < 18) await m.status.warn('The screen is not meant for patients under 18');

await m.outputs.set('nodule-found', candidates > 0);
await m.outputs.set('confidence', Math.round(confidence * 1000) / 1000);
await m.outputs.set('nodule-count', candidates);
await m.outputs.set('measurements', measurements);
await m.outputs.set('mask.npy', mask);
await m.outputs.set('preview.png', preview(middle, rows, columns, threshold));
await m.outputs.set(
  'summary',
  `${candidates} slice(s) of ${ct.size} hold voxels above ${threshold} HU (${priority} priority).`,
);
await m.outputs.set('analysed-at', new Date());
await m.status.progress(100);
await m.finish();

/** The middle slice in a lung window, candidates in red. */
function preview(hu: Int16Array | Float32Array, height: number, width: number, cut: number): Buffer {
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
