/**
 * What a mask-writing machine needs from a series: typed pixel spacing, the slice spacing measured
 * from positions, Hounsfield units, and the series as one (z, y, x) volume with its geometry.
 */
import { expect } from 'chai';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { entryByKeyword } from '../../src/dicom/dictionary.js';
import { synthSeries, writeSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { element, encodePart10 } from '../../src/dicom/write.js';
import { isBerthError } from '../../src/errors.js';
import { readDicomSeries } from '../../src/sdk/dicom.js';
import { writeFileAtomic } from '../../src/tree/atomic.js';
import { removeDir, tempDir } from '../support/temp.js';

async function failure(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return isBerthError(e) ? `${e.code} ${e.message}` : `not a BerthError: ${String(e)}`;
  }
  return 'no error';
}

describe('sdk/geometry: spacing, Hounsfield units and volumes of a series', () => {
  let tmp: string;
  before(async () => {
    tmp = await tempDir('sdk-geometry');
  });
  after(() => removeDir(tmp));

  it('gives PixelSpacing as [row, column] and the slice spacing measured along the normal', async () => {
    const dir = path.join(tmp, 'coronal');
    // Coronal slices (normal along +y), descending InstanceNumber: the order must come from positions.
    await writeSeries(dir, {
      seed: 'coronal',
      instances: 5,
      rows: 12,
      columns: 10,
      pixelSpacing: 0.7,
      sliceSpacing: 3,
      orientation: [1, 0, 0, 0, 0, -1],
      instanceNumberOrder: 'descending',
    });
    const series = await readDicomSeries(dir);
    expect(series.instances[0]!.pixelSpacing()).to.deep.equal([0.7, 0.7]);
    expect(series.sliceSpacing()).to.be.closeTo(3, 1e-6);
    const g = series.geometry();
    expect(g.spacing[0]).to.be.closeTo(3, 1e-6);
    expect(g.spacing.slice(1)).to.deep.equal([0.7, 0.7]);
    expect(g.direction[0].map((x) => Math.round(x))).to.deep.equal([0, 1, 0]);
    expect(g.direction[1]).to.deep.equal([0, 0, -1]);
    expect(g.direction[2]).to.deep.equal([1, 0, 0]);
    expect(g.slicePositions).to.have.length(5);
    for (let i = 1; i < 5; i++)
      expect(g.slicePositions[i]! - g.slicePositions[i - 1]!).to.be.closeTo(3, 1e-6);
    expect(g.origin[1]).to.be.closeTo(g.slicePositions[0]!, 1e-6);
  });

  it('reads the series as an int16 Hounsfield volume (z, y, x), slices in position order', async () => {
    const dir = path.join(tmp, 'ct');
    await writeSeries(dir, { seed: 'ct', instances: 6, rows: 16, columns: 20 });
    const series = await readDicomSeries(dir);
    const { array, geometry } = await series.volume();
    expect(array.dtype).to.equal('int16');
    expect(array.shape).to.deep.equal([6, 16, 20]);
    expect(geometry.spacing[0]).to.be.closeTo(2.5, 1e-6);
    // Slice z of the volume is the instance at the z-th position along the normal, in HU.
    const byPosition = [...series.instances].sort(
      (a, b) => a.header.ImagePositionPatient![2] - b.header.ImagePositionPatient![2],
    );
    for (const [z, inst] of byPosition.entries()) {
      const hu = await inst.hounsfield();
      expect(hu).to.be.instanceOf(Int16Array);
      const pixels = await inst.pixels();
      if (pixels.kind !== 'native') throw new Error('native expected');
      expect(hu[0]).to.equal(pixels.data[0]! - 1024);
      expect([...array.data.subarray(z * 320, (z + 1) * 320)]).to.deep.equal([...hu]);
    }
    expect(geometry.origin).to.deep.equal(byPosition[0]!.header.ImagePositionPatient);
    const stored = await series.volume({ rescale: false });
    expect(stored.array.dtype).to.equal('int16');
    expect((stored.array.data as Int16Array)[0]).to.equal((array.data as Int16Array)[0]! + 1024);
  });

  it('gives float32 when the rescale is fractional', async () => {
    const dir = path.join(tmp, 'fractional');
    await mkdir(dir, { recursive: true });
    const slope = entryByKeyword('RescaleSlope')!.tag;
    for (const inst of synthSeries({ seed: 'frac', instances: 3, rows: 8, columns: 8 })) {
      const elements = inst.elements.map((e) => (e.tag === slope ? element('RescaleSlope', 0.5) : e));
      await writeFileAtomic(
        path.join(dir, `${inst.sopInstanceUid}.dcm`),
        encodePart10(elements, { transferSyntaxUid: TS.ExplicitVRLittleEndian }),
      );
    }
    const series = await readDicomSeries(dir);
    expect(series.instances[0]!.rescale()).to.deep.equal({ slope: 0.5, intercept: -1024 });
    const hu = await series.instances[0]!.hounsfield();
    expect(hu).to.be.instanceOf(Float32Array);
    const { array } = await series.volume();
    expect(array.dtype).to.equal('float32');
  });

  it('refuses uneven slices, missing positions and oversized volumes with a clear code', async () => {
    const gap = path.join(tmp, 'gap');
    const written = await writeSeries(gap, { seed: 'gap', instances: 5, rows: 8, columns: 8 });
    await rm(written.files[2]!.path);
    const series = await readDicomSeries(gap);
    expect(await failure(() => series.geometry())).to.match(
      /^BERTH_E_DICOM_GEOMETRY .*not evenly spaced: .* mm on average/,
    );
    expect(await failure(() => series.volume())).to.match(/^BERTH_E_DICOM_GEOMETRY /);

    const ot = path.join(tmp, 'ot');
    await writeSeries(ot, { seed: 'ot', modality: 'OT', instances: 2, rows: 8, columns: 8 });
    const flat = await readDicomSeries(ot);
    expect(await failure(() => flat.sliceSpacing())).to.match(
      /^BERTH_E_MISSING_ATTRIBUTE .*ImageOrientationPatient/,
    );
    expect(await failure(() => flat.instances[0]!.pixelSpacing())).to.match(
      /^BERTH_E_MISSING_ATTRIBUTE .*PixelSpacing/,
    );

    const ct = path.join(tmp, 'big');
    await writeSeries(ct, { seed: 'big', instances: 2, rows: 8, columns: 8 });
    const big = await readDicomSeries(ct);
    expect(await failure(() => big.volume({ maxVoxels: 100 }))).to.match(/^BERTH_E_TOO_LARGE .*2 × 8 × 8/);
  });
});
