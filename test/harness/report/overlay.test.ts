/**
 * The HTML report draws an integer ndarray mask over the input series it fits, states the slice,
 * size and window of every DICOM picture, keeps pixels sharp, and folds the tail of long arrays.
 */
import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { checkManifest, type MachineDefinition } from '../../../src/check/manifest.js';
import { writeSeries } from '../../../src/dicom/synth.js';
import { renderHtmlReport } from '../../../src/harness/report/html.js';
import { baseFor, overlayBases } from '../../../src/harness/report/overlay.js';
import { loadManifestText } from '../../../src/manifest/load.js';
import { ndarray } from '../../../src/ndarray/ndarray.js';
import { encodeNpy } from '../../../src/ndarray/npy.js';
import { requirePeer } from '../../support/peers.js';
import { CHROMIUM_PEER, visitPage, type Box } from '../../support/chromium.js';
import { makeReportFixture, type ReportFixture } from './fixture.js';

const MANIFEST = `
metadata-version: 2
info: {name: masks}
schema-in:
  ct: {dicom-type: dicom-series}
schema-out:
  mask.npy: {type: ndarray, dtype: uint8, shape: [5, 32, 32]}
  slice-mask.npy: {type: ndarray, dtype: int16, shape: [32, 32]}
  scores.npy: {type: ndarray, dtype: float32, shape: [5, 32, 32]}
  volumes: {type: array, items: {type: number}}
`;

/** A [5, 32, 32] mask: label 1 in a 16 × 16 square of the middle slice, label 2 on slice 0. */
function mask(): ReturnType<typeof ndarray<'uint8'>> {
  const m = ndarray('uint8', [5, 32, 32]);
  for (let y = 8; y < 24; y++) for (let x = 8; x < 24; x++) m.data[2 * 1024 + y * 32 + x] = 1;
  for (let i = 0; i < 1024; i++) m.data[i] = 2;
  return m;
}

describe('harness/report/overlay: masks over their input series', () => {
  let fixture: ReportFixture;
  let dir: string;
  let definition: MachineDefinition;
  let page: string;

  before(async function () {
    this.timeout(60_000);
    fixture = await makeReportFixture();
    dir = await mkdtemp(path.join(tmpdir(), 'berth-overlay-'));
    definition = checkManifest(loadManifestText(MANIFEST, 'inline.yaml')).definition;
    const input = path.join(dir, 'input');
    await writeSeries(path.join(input, 'ct'), { seed: 'overlay', instances: 5, rows: 32, columns: 32 });
    const output = path.join(dir, 'output');
    await mkdir(path.join(output, 'volumes'), { recursive: true });
    await writeFile(path.join(output, 'mask.npy'), encodeNpy(mask()));
    await writeFile(path.join(output, 'slice-mask.npy'), encodeNpy(ndarray('int16', [32, 32])));
    await writeFile(path.join(output, 'scores.npy'), encodeNpy(ndarray('float32', [5, 32, 32])));
    for (let i = 0; i < 30; i++) await writeFile(path.join(output, 'volumes', String(i)), `${i}.5`);
    page = await renderHtmlReport(
      { ...fixture.report, comparisons: [], outputFindings: [] },
      { input, output, definition },
    );
  });
  after(async () => {
    await fixture?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds the series a mask fits by shape: 3-D [instances, rows, columns] or 2-D [rows, columns]', async () => {
    const bases = await overlayBases(path.join(dir, 'input'), definition.inputs);
    expect(bases.map((b) => b.rel)).to.deep.equal(['ct']);
    expect(baseFor([5, 32, 32], bases)?.rel).to.equal('ct');
    expect(baseFor([32, 32], bases)?.rel).to.equal('ct');
    expect(baseFor([4, 32, 32], bases)).to.equal(undefined);
    expect(baseFor([32], bases)).to.equal(undefined);
  });

  it('captions the mask, the slice, its size and window; a float array gets no overlay', () => {
    expect(page).to.include('mask over ct, slice 3 of 5 · 32 × 32 · window C 40 W 400 · labels 1');
    expect(page).to.include(
      'mask over ct, slice 3 of 5 · 32 × 32 · window C 40 W 400 · no label on this slice',
    );
    expect(page).to.include('slice 3 of 5 · 32 × 32 · window C 40 W 400');
    expect(page.match(/mask over ct/g)).to.have.length(2); // one caption per mask, none for scores.npy
  });

  it('shows the first 10 items of a long array and folds the other 20', () => {
    expect(page).to.include('20 more items');
    expect(page).to.match(/<details class="more">\s*<summary>\s*<span class="info">20 more items/);
  });

  it('in headless Chromium: no console error, sharp pixels, and the mask visibly drawn', async function () {
    this.timeout(120_000);
    await requirePeer(this, CHROMIUM_PEER);
    const file = path.join(dir, 'run.html');
    await writeFile(file, page);
    const visit = await visitPage(file, {
      evaluate: [
        `[...document.querySelectorAll('img.thumb')].filter((i) => i.alt === 'mask.npy').map((i) => {
          const r = i.getBoundingClientRect();
          return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height, rendering: getComputedStyle(i).imageRendering };
        })`,
        `[...document.querySelectorAll('details.more')].map((d) => d.open)`,
      ],
    });
    expect(visit.errors, visit.errors.join('\n')).to.deep.equal([]);
    const [boxes, more] = visit.evaluated as [(Box & { rendering: string })[], boolean[]];
    expect(more).to.deep.equal([false]);
    expect(boxes).to.have.length(1);
    const box = boxes[0]!;
    expect(box.rendering).to.equal('pixelated');
    const shot = PNG.sync.read(visit.screenshot);
    // The centre of the picture lies in the label-1 square: red over gray.
    const cx = Math.round(box.x + box.width / 2);
    const cy = Math.round(box.y + box.height / 2);
    const i = (cy * shot.width + cx) * 4;
    const [r, g, b] = [shot.data[i]!, shot.data[i + 1]!, shot.data[i + 2]!];
    expect(r - g, `rgb(${r}, ${g}, ${b})`).to.be.greaterThan(60);
    expect(r - b, `rgb(${r}, ${g}, ${b})`).to.be.greaterThan(60);
    // A corner lies outside the square: gray (no tint).
    const j = ((Math.round(box.y) + 6) * shot.width + Math.round(box.x) + 6) * 4;
    expect(Math.abs(shot.data[j]! - shot.data[j + 1]!)).to.be.below(8);
  });
});
