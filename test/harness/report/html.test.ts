import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PNG } from 'pngjs';
import { esc } from '../../../src/harness/report/html-escape.js';
import { renderHtmlReport, type HtmlReportOptions } from '../../../src/harness/report/html.js';
import { requirePeer } from '../../support/peers.js';
import { CHROMIUM_PEER, visitPage, type Box } from '../../support/chromium.js';
import { XSS, XSS_FILE, makeReportFixture, type ReportFixture } from './fixture.js';

/** The `data:` URIs of every <img> on the page. */
function imageUris(page: string): string[] {
  return [...page.matchAll(/<img\b[^>]*\bsrc="([^"]*)"/g)].map((m) => m[1]!);
}

/** Mean and standard deviation of the luminance inside a box of a decoded screenshot. */
function boxStats(shot: PNG, box: Box): { mean: number; sd: number; n: number } {
  let sum = 0;
  let sum2 = 0;
  let n = 0;
  const x0 = Math.max(0, Math.ceil(box.x) + 2);
  const y0 = Math.max(0, Math.ceil(box.y) + 2);
  const x1 = Math.min(shot.width, Math.floor(box.x + box.width) - 2);
  const y1 = Math.min(shot.height, Math.floor(box.y + box.height) - 2);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * shot.width + x) * 4;
      const l = 0.299 * shot.data[i]! + 0.587 * shot.data[i + 1]! + 0.114 * shot.data[i + 2]!;
      sum += l;
      sum2 += l * l;
      n++;
    }
  }
  const mean = n ? sum / n : 0;
  return { mean, sd: n ? Math.sqrt(Math.max(0, sum2 / n - mean * mean)) : 0, n };
}

describe('harness/report/html', () => {
  let fixture: ReportFixture;
  let options: HtmlReportOptions;
  let page: string;

  before(async function () {
    this.timeout(60_000);
    fixture = await makeReportFixture();
    options = {
      input: fixture.input,
      output: fixture.output,
      expected: fixture.expected,
      definition: fixture.definition,
      assetsDir: fixture.assets,
      reports: { json: path.join(fixture.dir, 'run.json'), html: path.join(fixture.dir, 'run.html') },
    };
    page = await renderHtmlReport(fixture.report, options);
  });
  after(() => fixture?.cleanup());

  it('is one self-contained page: no script, no external reference, a CSP that forbids requests', () => {
    expect(page.startsWith('<!doctype html>')).to.equal(true);
    // Quotes in attribute values are escaped like any other; the browser reads them back as quotes.
    expect(page).to.include(`content="default-src &#39;none&#39;; img-src data:;`);
    expect(page).to.not.match(/<script/i);
    expect(page).to.not.match(/<link\b/i);
    expect(page).to.not.match(/\b(?:src|href)="(?!data:|#)/i);
    expect(page).to.not.match(/url\(/i);
    const uris = imageUris(page);
    expect(uris.length).to.be.greaterThan(10);
    for (const uri of uris) expect(uri).to.match(/^data:image\/png;base64,[A-Za-z0-9+/=]+$/);
    expect(page.length).to.be.below(2_000_000);
  });

  it('escapes everything user-provided: values, file names, messages, captured output', () => {
    expect(page).to.not.include('<script>alert');
    expect(page).to.not.include('<img src=x');
    expect(page).to.not.include('<img src=y');
    expect(page).to.include(
      '&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;xss&#39;)&quot;&gt;&amp;amp;',
    );
    expect(page).to.include('&lt;img src=y onerror=alert(2)&gt;.txt');
    // The value appears in the tree, the comparison and the stdout tail — escaped each time.
    expect(page.split(esc(XSS)).length - 1).to.be.at.least(3);
    expect(XSS_FILE).to.include('<');
    // Terminal colors in the stderr tail are dropped, not shown as garbage.
    expect(page).to.include('red text');
    expect(page).to.not.include('\x1b');
  });

  it('shows the outcome, timings, findings, comparisons (failed first), trees and output caps', () => {
    expect(page).to.match(/<div class="badge differ"[^>]*>\s*FAILED COMPARE/);
    for (const text of [
      'lung-nodule-seg',
      'ct-chest-01',
      '12.3 s',
      '40.2 s',
      '812 MB',
      'timeout 10 min',
      '100%',
    ]) {
      expect(page).to.include(text);
    }
    expect(page).to.include('BERTH_E_TREE_UNDECLARED');
    expect(page).to.include('9.2 MB dropped');
    expect(page).to.include('4121 pixels differ in 5 slices');
    const order = ['>score<', '>mask<', '>label<', '>summary<', '>measurements/0/area<'].map((s) =>
      page.indexOf(`<span class="path mono"${s}`),
    );
    expect(
      order.every((i) => i >= 0),
      String(order),
    ).to.equal(true);
    expect([...order].sort((a, b) => a - b)).to.deep.equal(order);
    // Trees: values inline, sizes and detected types, nesting, absent and undeclared entries.
    expect(page).to.include('>91.2%</code>');
    expect(page).to.include('>Incidental nodule on chest X-ray</code>');
    expect(page).to.include('image/jpeg');
    expect(page).to.include('float32 [4]');
    expect(page).to.include('9 instances · CT · 128 × 128');
    expect(page).to.include('3 series · 24 instances');
    expect(page).to.include('absent (optional)');
    expect(page).to.include('undeclared');
    expect(page).to.include('slice 5 of 9');
    expect(page).to.include('512 × 384');
  });

  it('keeps every picture at most 256 px a side', () => {
    for (const uri of imageUris(page)) {
      const png = PNG.sync.read(Buffer.from(uri.slice(uri.indexOf(',') + 1), 'base64'));
      expect(Math.max(png.width, png.height)).to.be.at.most(256);
    }
  });

  it('never inlines a comparison image from outside the assets folder, and says why', async () => {
    const report = {
      ...fixture.report,
      comparisons: [
        {
          ...fixture.report.comparisons[2]!,
          images: { expected: '../output/overlay.png', actual: 'mask/actual.png', diff: 'nope.png' },
        },
      ],
    };
    const html = await renderHtmlReport(report, { ...options, expected: undefined });
    expect(html).to.include('../output/overlay.png is outside the assets folder');
    expect(html).to.include('nope.png does not exist');
    const noAssets = await renderHtmlReport(report, {
      ...options,
      assetsDir: undefined,
      expected: undefined,
    });
    expect(noAssets).to.include('no assets folder given');
  });

  it('keeps to the picture budget and survives a missing output tree', async () => {
    const html = await renderHtmlReport(fixture.report, {
      ...options,
      output: path.join(fixture.dir, 'no-such-output'),
      expected: undefined,
      budget: { pictures: 2 },
    });
    expect(imageUris(html)).to.have.length(2);
    expect(html).to.include('picture budget of the page spent');
    expect(html).to.include('not a readable directory');
  });

  describe('in headless Chromium', () => {
    it('the check itself sees console errors, exceptions, CSP violations and blocked requests', async function () {
      this.timeout(120_000);
      await requirePeer(this, CHROMIUM_PEER);
      const file = path.join(fixture.dir, 'bad.html');
      await writeFile(
        file,
        `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'"></head>` +
          `<body><img src="http://203.0.113.7/x.png"><script>console.error('boom'); null.x;</script></body></html>`,
      );
      const visit = await visitPage(file);
      const all = visit.errors.join('\n');
      expect(all).to.include('console.error: boom');
      expect(all).to.include('exception: TypeError');
      expect(all).to.match(/Content Security Policy/);
    });

    it('loads without console errors or requests, and shows every thumbnail', async function () {
      this.timeout(120_000);
      await requirePeer(this, CHROMIUM_PEER);
      const file = path.join(fixture.dir, 'run.html');
      await writeFile(file, page);
      const visit = await visitPage(file, {
        width: 1280,
        evaluate: [
          `[...document.querySelectorAll('img.thumb')].filter((i) => i.checkVisibility()).map((i) => {
            const r = i.getBoundingClientRect();
            return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height, loaded: i.complete && i.naturalWidth > 0 };
          })`,
          `(() => { const r = document.querySelector('.badge').getBoundingClientRect(); return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height }; })()`,
          `getComputedStyle(document.body).backgroundColor`,
        ],
      });
      if (process.env.BERTH_REPORT_SCREENSHOT)
        await writeFile(process.env.BERTH_REPORT_SCREENSHOT, visit.screenshot);
      expect(visit.errors, visit.errors.join('\n')).to.deep.equal([]);
      const network = visit.requests.filter((u) => !u.startsWith('data:'));
      expect(network).to.deep.equal([`file://${file}`]);

      const [thumbs, badge, background] = visit.evaluated as [(Box & { loaded: boolean })[], Box, string];
      expect(background).to.equal('rgb(244, 245, 247)');
      // 3 comparison images, 4 input slices, 3 output pictures (the expected tree starts folded).
      expect(thumbs).to.have.length(10);
      const shot = PNG.sync.read(visit.screenshot);
      expect(shot.width).to.equal(1280);
      for (const box of thumbs) {
        expect(box.loaded).to.equal(true);
        expect(box.width).to.be.at.least(100);
        const s = boxStats(shot, box);
        expect(s.n).to.be.greaterThan(5000);
        // A picture, not an empty box: varied pixels, not the page background.
        expect(s.sd, JSON.stringify(box)).to.be.greaterThan(10);
        expect(Math.abs(s.mean - 245)).to.be.greaterThan(5);
      }
      // The badge is painted in the failed-compare tone (#b35c00).
      const i = (Math.round(badge.y + 4) * shot.width + Math.round(badge.x + 4)) * 4;
      expect([shot.data[i], shot.data[i + 1], shot.data[i + 2]]).to.deep.equal([0xb3, 0x5c, 0x00]);
    });
  });
});
