/**
 * The HTML run report: one self-contained page (inline CSS, pictures as `data:` URIs, no script,
 * a Content-Security-Policy that forbids any request) that a person opens after a run.
 *
 * It shows the outcome as a big colored badge with machine, case, driver and timings; the
 * numbers at a glance; the status channel; every comparison (failed first) with expected vs
 * actual, metrics and expected/actual/diff images; every finding; the input and output trees
 * side by side with values, sizes and detected types; thumbnails of image files and the middle
 * slice of every DICOM series, input beside output; and the tails of stdout and stderr.
 * Everything from the machine, the case or the manifest is HTML-escaped.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { MachineDefinition } from '../../check/manifest.js';
import { isInside } from '../../tree/safe-path.js';
import type { Comparison, RunReport } from '../types.js';
import { errorText } from './errors-text.js';
import { html, type Html } from './html-escape.js';
import {
  renderComparisons,
  renderFindings,
  renderFooter,
  renderHeader,
  renderStats,
  renderStatus,
  renderStreams,
  type ComparisonPictures,
} from './html-sections.js';
import { renderDeidentification } from './deid.js';
import { reportPage } from './html-page.js';
import { collectPictures, renderGallery, renderTree } from './html-tree.js';
import { thumbnailOfFile } from './raster.js';
import { OUTCOME_LOOK } from './tone.js';
import { overlayBases } from './overlay.js';
import { defaultBudget, viewTree, type ViewBudget } from './tree-view.js';

/** What the HTML report needs beyond the run report. */
export interface HtmlReportOptions {
  /** The input tree of the run. */
  input: string;
  /** The output tree of the run. */
  output: string;
  /** The expected output tree, when the case has one. */
  expected?: string;
  /** The machine's definition: the schemas the trees are laid out by. */
  definition: MachineDefinition;
  /** The folder `comparison.images` paths are relative to (the report's asset folder). */
  assetsDir?: string;
  /** Where the report files are, listed in the footer. */
  reports?: { json?: string; html?: string };
  /** Limits on pictures, array items and value lengths (default {@link defaultBudget}). */
  budget?: Partial<ViewBudget>;
}

export { CSP } from './html-page.js';

/** Renders the complete report page. Never throws for bad tree content (it becomes notes). */
export async function renderHtmlReport(report: RunReport, options: HtmlReportOptions): Promise<string> {
  const budget: ViewBudget = { ...defaultBudget(), ...options.budget };
  const { definition } = options;
  // Comparison images first: they matter most when the budget runs short.
  const cmpPictures = await comparisonPictures(report.comparisons, options.assetsDir, budget);
  const inputView = await viewTree(options.input, definition.inputs, budget);
  // Integer ndarray outputs are drawn over the input series they fit (./overlay.ts).
  budget.overlays ??= await overlayBases(options.input, definition.inputs);
  const outputView = await viewTree(options.output, definition.outputs, budget);
  const expectedView = options.expected
    ? await viewTree(options.expected, definition.outputs, budget)
    : undefined;
  const inPics = collectPictures(inputView, 'in');
  const outPics = collectPictures(outputView, 'out');
  const expPics = expectedView ? collectPictures(expectedView, 'exp') : undefined;

  const findingsFirst = [...report.inputFindings, ...report.outputFindings].some(
    (f) => f.severity === 'error',
  );
  const findings = html`${renderFindings('Input findings', report.inputFindings, 'input-findings')}
  ${renderFindings('Output findings', report.outputFindings, 'output-findings')}`;
  const comparisons = html`${renderComparisons(report.comparisons, cmpPictures)}${renderDeidentification(report.deidentification)}`;
  const look = OUTCOME_LOOK[report.outcome];
  const footerPaths: [string, string][] = [];
  if (options.reports?.json) footerPaths.push(['JSON report', options.reports.json]);
  if (options.reports?.html) footerPaths.push(['HTML report', options.reports.html]);

  return reportPage(
    `${look.label} · ${report.machine.name} · ${report.case.name} — berth`,
    report.berthVersion,
    html` ${renderHeader(report, definition)} ${renderStats(report)} ${renderStatus(report)}
      ${findingsFirst ? html`${findings}${comparisons}` : html`${comparisons}${findings}`}
      <div class="cols">
        <section id="input-tree">
          <h2>Input tree <span class="count mono">${options.input}</span></h2>
          ${renderTree(inputView, inPics)}
        </section>
        <section id="output-tree">
          <h2>Output tree <span class="count mono">${options.output}</span></h2>
          ${renderTree(outputView, outPics)}
        </section>
      </div>
      <div class="cols">
        <section id="input-pictures">
          <h2>Input images <span class="count">${inPics.size}</span></h2>
          ${renderGallery(inPics.values())}
        </section>
        <section id="output-pictures">
          <h2>Output images <span class="count">${outPics.size}</span></h2>
          ${renderGallery(outPics.values())}
        </section>
      </div>
      ${expectedView && expPics ? renderExpected(options.expected!, expectedView, expPics) : ''}
      ${renderStreams(report)} ${renderFooter(report, footerPaths)}`,
  );
}

function renderExpected(
  dir: string,
  view: Awaited<ReturnType<typeof viewTree>>,
  pics: ReturnType<typeof collectPictures>,
): Html {
  return html`<section id="expected-tree">
    <details class="section">
      <summary>
        <h2>Expected outputs <span class="count mono">${dir}</span></h2>
      </summary>
      <div class="cols">
        <div>${renderTree(view, pics)}</div>
        <div>${renderGallery(pics.values())}</div>
      </div>
    </details>
  </section>`;
}

/**
 * Inlines the images of comparisons as thumbnails. Paths are relative to `assetsDir` and must
 * stay inside it (symlinks resolved), since they come from a report file that may be edited.
 */
async function comparisonPictures(
  comparisons: readonly Comparison[],
  assetsDir: string | undefined,
  budget: ViewBudget,
): Promise<Map<Comparison, ComparisonPictures>> {
  const out = new Map<Comparison, ComparisonPictures>();
  const realAssets = assetsDir ? await realpath(assetsDir).catch(() => undefined) : undefined;
  for (const c of [...comparisons].sort((a, b) => Number(a.passed) - Number(b.passed))) {
    if (!c.images) continue;
    const pics: ComparisonPictures = { errors: {} };
    for (const role of ['expected', 'actual', 'diff'] as const) {
      const rel = c.images[role];
      if (rel === undefined) continue;
      if (!assetsDir || !realAssets) {
        pics.errors[role] = assetsDir
          ? `the assets folder ${assetsDir} cannot be read`
          : 'no assets folder given';
        continue;
      }
      if (budget.pictures <= 0) {
        pics.errors[role] = 'picture budget of the page spent';
        continue;
      }
      const abs = path.resolve(assetsDir, rel);
      const real = await realpath(abs).catch(() => undefined);
      if (!real || !isInside(realAssets, real) || !isInside(path.resolve(assetsDir), abs)) {
        pics.errors[role] = real ? `${rel} is outside the assets folder` : `${rel} does not exist`;
        continue;
      }
      budget.pictures--;
      try {
        const t = await thumbnailOfFile(real, budget.pictureSize);
        pics[role] = {
          uri: t.uri,
          width: t.width,
          height: t.height,
          caption: `${t.sourceWidth} × ${t.sourceHeight}`,
        };
      } catch (e) {
        pics.errors[role] = errorText(e);
      }
    }
    out.set(c, pics);
  }
  return out;
}
