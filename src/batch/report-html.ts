/**
 * The batch report page (`batch.html`): self-contained like the run report (its style sheet and
 * Content-Security-Policy, no script, no request), with the outcome counts, run-time and memory
 * histograms, comparison metrics per output property, the failed cases, and a table of every case
 * — failed first, then slowest — linking to each case's own report. Everything from a case or a
 * machine is escaped.
 */
import { formatBytes, formatDuration, formatNumber } from '../harness/report/format.js';
import { html, type Html } from '../harness/report/html-escape.js';
import { reportPage } from '../harness/report/html-page.js';
import { OUTCOME_LOOK, type Tone } from '../harness/report/tone.js';
import type { BatchCase, BatchReport, PropertyAggregate, Stats } from './aggregate.js';
import { HISTOGRAM_STYLE, svgHistogram } from './histogram.js';
import { casePassed } from './job.js';

/** The most case rows the page shows (the rest are in batch.json). */
export const MAX_HTML_ROWS = 5000;

/** The most failed cases listed with their reasons at the top. */
export const MAX_FAILED_LISTED = 100;

const CHIP: Record<Tone, string> = { pass: 'pass', differ: 'warn', fail: 'fail', case: 'info' };

function outcomeChip(outcome: BatchCase['outcome']): Html {
  if (outcome === 'pending') return html`<span class="chip">pending</span>`;
  if (outcome === 'error') return html`<span class="chip fail">error</span>`;
  return html`<span class="chip ${CHIP[OUTCOME_LOOK[outcome].tone]}">${outcome}</span>`;
}

function caseLink(c: BatchCase): Html {
  return c.reports.html ? html`<a href="${c.reports.html}">${c.id}</a>` : html`${c.id}`;
}

function stat(k: string, v: string, cls = ''): Html {
  return html`<div class="stat">
    <div class="k">${k}</div>
    <div class="v ${cls}">${v}</div>
  </div>`;
}

function renderHead(r: BatchReport): Html {
  const failed = r.counts.finished - r.counts.passed;
  const tone: Tone = failed > 0 ? 'fail' : r.counts.pending > 0 ? 'differ' : 'pass';
  const label = failed > 0 ? `${failed} FAILED` : r.counts.pending > 0 ? 'INCOMPLETE' : 'ALL PASSED';
  return html`<header class="run ${tone}">
    <div class="badge ${tone}">${label}<small>${r.counts.finished} of ${r.counts.total} finished</small></div>
    <div class="title">${r.machine.name}<span class="sep">·</span>batch of ${r.counts.total} case(s)</div>
    <div class="reason">
      ${r.interrupted ? 'Stopped before every case had finished: run again with --resume.' : 'Every case finished.'}
    </div>
    <div class="meta">
      <span>driver <b>${r.driver}</b></span
      >${r.image ? html`<span>image <b>${r.image}</b></span>` : ''}
      <span>concurrency <b>${r.concurrency}</b></span
      ><span>started <b>${r.startedAt}</b></span> <span>finished <b>${r.finishedAt}</b></span
      ><span>berth <b>${r.berthVersion}</b></span>
    </div>
  </header>`;
}

function renderStats(r: BatchReport): Html {
  const failed = r.counts.finished - r.counts.passed;
  return html`<div class="stats">
    ${stat('cases', String(r.counts.total))} ${stat('passed', String(r.counts.passed), 'good')}
    ${stat('failed', String(failed), failed > 0 ? 'bad' : '')}
    ${stat('pending', String(r.counts.pending), r.counts.pending > 0 ? 'warn' : '')}
    ${stat('median time', r.wallMs ? formatDuration(r.wallMs.median) : '—')}
    ${stat('slowest', r.wallMs ? formatDuration(r.wallMs.max) : '—')}
    ${stat('peak memory', r.peakRssBytes ? formatBytes(r.peakRssBytes.max) : '—')}
  </div>`;
}

function renderOutcomes(r: BatchReport): Html {
  const rows = Object.entries(r.counts.outcomes)
    .filter(([, n]) => n > 0)
    .map(
      ([o, n]) =>
        html`<tr>
          <td>${outcomeChip(o as BatchCase['outcome'])}</td>
          <td>${n}</td>
        </tr>`,
    );
  if (r.counts.pending > 0)
    rows.push(
      html`<tr>
        <td>${outcomeChip('pending')}</td>
        <td>${r.counts.pending}</td>
      </tr>`,
    );
  return html`<section id="outcomes">
    <h2>Outcomes</h2>
    <table>
      <tr>
        <th>outcome</th>
        <th>cases</th>
      </tr>
      ${rows}
    </table>
  </section>`;
}

function renderCharts(r: BatchReport): Html {
  const finished = r.cases.filter((c) => c.outcome !== 'pending');
  const times = finished.flatMap((c) => (c.wallMs === null ? [] : [c.wallMs]));
  const memory = finished.flatMap((c) => (c.peakRssBytes === null ? [] : [c.peakRssBytes]));
  return html`<div class="cols">
    <section id="time-chart">
      <h2>Run time <span class="count">${times.length} case(s)</span></h2>
      ${svgHistogram(times, { label: 'run time', format: formatDuration })}
    </section>
    <section id="memory-chart">
      <h2>Peak memory <span class="count">${memory.length} case(s)</span></h2>
      ${svgHistogram(memory, { label: 'peak memory', format: formatBytes })}
    </section>
  </div>`;
}

function metricCell(name: string, s: Stats): Html {
  return html`<div>
    <span class="mono">${name}</span> mean <b>${formatNumber(s.mean)}</b> · min ${formatNumber(s.min)} · max
    ${formatNumber(s.max)} <span class="where">(${s.count})</span>
  </div>`;
}

function renderComparisons(list: readonly PropertyAggregate[]): Html {
  if (list.length === 0)
    return html`<section id="comparisons">
      <h2>Comparisons</h2>
      <p class="none">No case had expected outputs.</p>
    </section>`;
  const rows = list.map(
    (p) =>
      html`<tr>
        <td class="mono">${p.property}</td>
        <td>${p.kind}</td>
        <td>${p.methods.join(', ')}</td>
        <td>
          ${p.passed} /
          ${p.compared}${p.failed > 0 ? html` <span class="chip fail">${p.failed} failed</span>` : ''}
        </td>
        <td>${Object.entries(p.metrics).map(([k, s]) => metricCell(k, s))}</td>
      </tr>`,
  );
  return html`<section id="comparisons">
    <h2>Comparisons by output property <span class="count">${list.length}</span></h2>
    <table>
      <tr>
        <th>property</th>
        <th>kind</th>
        <th>method</th>
        <th>passed</th>
        <th>metrics over the cases</th>
      </tr>
      ${rows}
    </table>
  </section>`;
}

function renderFailed(cases: readonly BatchCase[]): Html {
  const failed = cases.filter((c) => c.outcome !== 'pending' && !casePassed(c));
  if (failed.length === 0) return html``;
  const shown = failed.slice(0, MAX_FAILED_LISTED);
  return html`<section id="failed">
    <h2>Failed cases <span class="count">${failed.length}</span></h2>
    <table>
      ${shown.map(
        (c) =>
          html`<tr>
            <td>${caseLink(c)}</td>
            <td>${outcomeChip(c.outcome)}</td>
            <td>${c.reason}</td>
          </tr>`,
      )}
    </table>
    ${failed.length > shown.length ? html`<p class="none">${failed.length - shown.length} more in the table below and in batch.json.</p>` : ''}
  </section>`;
}

function renderCases(cases: readonly BatchCase[]): Html {
  const shown = cases.slice(0, MAX_HTML_ROWS);
  const rows = shown.map(
    (c) =>
      html`<tr class="case-row">
        <td>${caseLink(c)}</td>
        <td>${outcomeChip(c.outcome)}</td>
        <td>${c.wallMs === null ? '—' : formatDuration(c.wallMs)}</td>
        <td>${c.peakRssBytes === null ? '—' : formatBytes(c.peakRssBytes)}</td>
        <td>${c.reports.json ? html`<a href="${c.reports.json}">json</a>` : ''}</td>
      </tr>`,
  );
  return html`<section id="cases">
    <h2>Every case <span class="count">failed first, then slowest</span></h2>
    <table>
      <tr>
        <th>case</th>
        <th>outcome</th>
        <th>time</th>
        <th>peak memory</th>
        <th>report</th>
      </tr>
      ${rows}
    </table>
    ${cases.length > shown.length ? html`<p class="none">${cases.length - shown.length} more case(s) in batch.json.</p>` : ''}
  </section>`;
}

/** `--baseline`: the cases whose outputs changed from the baseline's, property by property. */
function renderBaseline(b: BatchReport['baseline']): Html {
  if (b === undefined) return html``;
  const shown = b.changed.slice(0, MAX_FAILED_LISTED);
  return html`<section id="baseline">
    <h2>
      Changed from the baseline <span class="count">${b.changed.length} of ${b.compared} compared</span>
    </h2>
    <p>
      Baseline: ${b.image ?? b.machine} (<a href="${b.report}">its batch report</a
      >)${b.notCompared.length > 0 ? html`; ${b.notCompared.length} case(s) not compared` : ''}
    </p>
    <table>
      ${shown.flatMap((c) =>
        c.differences.map(
          (d) =>
            html`<tr class="changed-row">
              <td><a href="${encodeURIComponent(c.id)}/report.html">${c.id}</a></td>
              <td>${d.path}</td>
              <td>${d.method}</td>
              <td>${d.message}</td>
            </tr>`,
        ),
      )}
    </table>
    ${b.changed.length > shown.length ? html`<p class="none">${b.changed.length - shown.length} more in batch.json.</p>` : ''}
  </section>`;
}

/** The whole page. */
export function renderBatchHtml(r: BatchReport): string {
  return reportPage(
    `Batch · ${r.machine.name} · ${r.counts.finished}/${r.counts.total} — berth`,
    r.berthVersion,
    html`${renderHead(r)} ${renderStats(r)} ${renderBaseline(r.baseline)} ${renderFailed(r.cases)}
    ${renderComparisons(r.comparisons)} ${renderOutcomes(r)} ${renderCharts(r)} ${renderCases(r.cases)}`,
    HISTOGRAM_STYLE,
  );
}
