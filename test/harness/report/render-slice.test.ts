import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { isBerthError } from '../../../src/errors.js';
import { indexFolder } from '../../../src/dicom/index.js';
import { scanHeader } from '../../../src/dicom/scan.js';
import { synthSeries, writeSeries } from '../../../src/dicom/synth.js';
import { TS } from '../../../src/dicom/transfer-syntax.js';
import { element, encodePart10, type WriteElement } from '../../../src/dicom/write.js';
import {
  middleSliceOf,
  renderMiddleSlice,
  renderSlice,
  renderWindowed,
  windowPixels,
} from '../../../src/harness/report/render-slice.js';

function decode(png: Buffer): { width: number; height: number; gray: number[]; colorType: number } {
  const img = PNG.sync.read(png);
  const gray: number[] = [];
  for (let i = 0; i < img.data.length; i += 4) gray.push(img.data[i]!);
  return { width: img.width, height: img.height, gray, colorType: img.colorType };
}

describe('harness/report/render-slice', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-slice-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("windows with DICOM's linear VOI function after rescale", () => {
    // CT: stored = HU + 1024; window 40/400 spans -160 … 240 HU.
    const stored = [-2000, -160, 40, 240, 3000].map((hu) => hu + 1024);
    const g = windowPixels(stored, { slope: 1, intercept: -1024, center: 40, width: 400 });
    expect(g[0]).to.equal(0);
    expect(g[1]).to.equal(0);
    expect(g[2]).to.be.within(127, 129);
    expect(g[3]).to.be.within(254, 255);
    expect(g[4]).to.equal(255);
    // A slope doubles the values before the window.
    expect([...windowPixels([0, 50, 100], { slope: 2, center: 100.5, width: 201 })]).to.deep.equal([
      0, 128, 255,
    ]);
  });

  it('falls back to the min/max without a window, inverts MONOCHROME1, and shows a flat image as mid-gray', () => {
    expect([...windowPixels([10, 20, 30])]).to.deep.equal([0, 128, 255]);
    expect([...windowPixels([10, 20, 30], { invert: true })]).to.deep.equal([255, 127, 0]);
    expect([...windowPixels([7, 7, 7])]).to.deep.equal([128, 128, 128]);
    // A width below 1 is no window.
    expect([...windowPixels([10, 30], { center: 20, width: 0 })]).to.deep.equal([0, 255]);
  });

  it('encodes a grayscale PNG, shrinking to maxSize by area averaging', () => {
    const rows = 40;
    const cols = 100;
    const px = Array.from({ length: rows * cols }, (_, i) => (i % cols < 50 ? 0 : 1000));
    const full = decode(renderWindowed(px, rows, cols));
    expect([full.width, full.height, full.colorType]).to.deep.equal([100, 40, 0]);
    const small = decode(renderWindowed(px, rows, cols, { maxSize: 50 }));
    expect([small.width, small.height]).to.deep.equal([50, 20]);
    expect(small.gray[0]).to.equal(0);
    expect(small.gray[49]).to.equal(255);
    expect(() => renderWindowed([1, 2, 3], 2, 2)).to.throw(/cannot fill/);
  });

  it('renders the geometric middle of a series, whatever the file order and instance numbers', async () => {
    const series = path.join(dir, 'ct');
    await writeSeries(series, {
      modality: 'CT',
      seed: 'mid',
      instances: 9,
      rows: 48,
      columns: 40,
      instanceNumberOrder: 'descending',
    });
    const choice = await middleSliceOf(series);
    expect(choice.count).to.equal(9);
    expect(choice.position).to.equal(4);
    const index = await indexFolder(series);
    const zs = [...index.instances.values()].map((h) => h.ImagePositionPatient![2]).sort((a, b) => a - b);
    expect(choice.header.ImagePositionPatient![2]).to.equal(zs[4]);

    const png = await renderMiddleSlice(series);
    expect(png.equals(await renderSlice(choice.header))).to.equal(true);
    const img = decode(png);
    expect([img.width, img.height]).to.deep.equal([40, 48]);
    // The CT window (40/400) shows air as black and the body in grays.
    expect(Math.min(...img.gray)).to.equal(0);
    expect(new Set(img.gray).size).to.be.greaterThan(10);
    const small = decode(await renderMiddleSlice(series, { maxSize: 24 }));
    expect([small.width, small.height]).to.deep.equal([20, 24]);
  });

  it('renders the middle frame of a multi-frame instance, and a single file', async () => {
    const ot = path.join(dir, 'ot');
    const written = await writeSeries(ot, {
      modality: 'OT',
      seed: 'frames',
      instances: 1,
      frames: 5,
      rows: 16,
      columns: 16,
    });
    const choice = await middleSliceOf(written.files[0]!.path);
    expect([choice.frame, choice.count]).to.deep.equal([2, 1]);
    const fromFolder = await renderMiddleSlice(ot);
    const fromFile = await renderMiddleSlice(written.files[0]!.path);
    expect(fromFolder.equals(fromFile)).to.equal(true);
    expect(fromFile.equals(await renderSlice(choice.header, 0))).to.equal(false);
  });

  it('renders colour stored plane by plane like the same colour stored interleaved', async () => {
    const [inst] = synthSeries({ seed: 'rgb', modality: 'OT', instances: 1, rows: 1, columns: 2 });
    const rgb = [250, 10, 10, 10, 250, 10];
    const planar = [250, 10, 10, 250, 10, 10];
    const pngs: Buffer[] = [];
    for (const [config, values] of [
      [0, rgb],
      [1, planar],
    ] as const) {
      const drop = new Set([0x00280002, 0x00280004, 0x00280006, 0x7fe00010]);
      const els: WriteElement[] = inst!.elements.filter((e) => !drop.has(e.tag));
      els.push(
        element('SamplesPerPixel', 3),
        element('PhotometricInterpretation', 'RGB'),
        element('PlanarConfiguration', config),
        { tag: 0x7fe00010, vr: 'OB', value: Uint8Array.from(values) },
      );
      els.sort((a, b) => a.tag - b.tag);
      const file = path.join(dir, `colour-${config}.dcm`);
      await writeFile(file, encodePart10(els, { transferSyntaxUid: TS.ExplicitVRLittleEndian }));
      pngs.push(await renderSlice(await scanHeader(file)));
    }
    const img = PNG.sync.read(pngs[1]!);
    expect([...img.data.subarray(0, 3)]).to.deep.equal([250, 10, 10]);
    expect(pngs[1]!.equals(pngs[0]!)).to.equal(true);
  });

  it('says why when there is nothing to render', async () => {
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    await writeFile(path.join(empty, 'README'), 'not dicom');
    try {
      await renderMiddleSlice(empty);
      expect.fail('expected an error');
    } catch (e) {
      expect(isBerthError(e) && e.code).to.equal('BERTH_E_NOT_FOUND');
    }
  });
});
