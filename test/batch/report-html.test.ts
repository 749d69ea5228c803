import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { binValues } from '../../src/batch/histogram.js';
import { renderBatchHtml } from '../../src/batch/report-html.js';
import { requirePeer } from '../support/peers.js';
import { CHROMIUM_PEER, visitPage } from '../support/chromium.js';
import { sampleBatch, XSS_ID } from './fixture.js';

describe('batch/report-html', () => {
  let dir: string;
  let page: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-batch-html-'));
    page = renderBatchHtml(sampleBatch().report);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('is one self-contained page with the run report CSP, no script and every case id escaped', () => {
    expect(page.startsWith('<!doctype html>')).to.equal(true);
    expect(page).to.include('content="default-src &#39;none&#39;;');
    expect(page).not.to.match(/<script\b/i);
    expect(page).not.to.include(XSS_ID);
    expect(page).to.include('&lt;img src=x onerror=alert(1)&gt;');
    // Links to a case's own report are relative and percent-encoded.
    expect(page).to.include('href="ok-0/report.html"');
    expect(page).to.include(`href="${encodeURIComponent(XSS_ID).replace(/'/g, '&#39;')}/report.html"`);
  });

  it('bins values into equal-width bins from min to max, one bin when all are equal', () => {
    const bins = binValues([0, 1, 2, 3, 10], 5);
    expect(bins.map((b) => b.count)).to.deep.equal([2, 2, 0, 0, 1]);
    expect(bins[0]).to.include({ from: 0, to: 2 });
    expect(binValues([7, 7, 7], 20)).to.deep.equal([{ from: 7, to: 7, count: 3 }]);
    expect(binValues([], 20)).to.deep.equal([]);
  });

  it('loads in headless Chromium without errors or requests and shows counts, charts, metrics and every case', async function () {
    this.timeout(120_000);
    await requirePeer(this, CHROMIUM_PEER);
    const file = path.join(dir, 'batch.html');
    await writeFile(file, page);
    const visit = await visitPage(file, {
      evaluate: [
        `document.querySelectorAll('tr.case-row').length`,
        `[...document.querySelectorAll('svg.histogram')].map((s) => [...s.querySelectorAll('rect.bar')].filter((r) => r.getBBox().height > 0).length)`,
        `document.querySelector('#failed tr td').textContent`,
        `document.querySelector('#comparisons').textContent`,
        `document.querySelector('.badge').textContent`,
        `document.querySelectorAll('img').length`,
      ],
    });
    if (process.env.BERTH_REPORT_SCREENSHOT)
      await writeFile(process.env.BERTH_REPORT_SCREENSHOT, visit.screenshot);
    expect(visit.errors, visit.errors.join('\n')).to.deep.equal([]);
    expect(visit.requests).to.deep.equal([`file://${file}`]);
    const [rows, bars, firstFailed, comparisons, badge, images] = visit.evaluated as [
      number,
      number[],
      string,
      string,
      string,
      number,
    ];
    expect(rows).to.equal(12);
    expect(bars).to.have.length(2);
    for (const n of bars) expect(n).to.be.greaterThan(1);
    expect(firstFailed).to.equal('slow-bad');
    expect(comparisons).to.include('schema-out/label-map');
    expect(comparisons).to.match(/dice\.1\s+mean\s+0\.868.*min 0\.5/);
    expect(badge).to.include('3 FAILED');
    expect(images).to.equal(0);
  });
});
