/**
 * The parts of the HTML report that come from the run report alone: the header with the outcome
 * badge, the numbers at a glance, findings, comparisons, captured output and the footer.
 */
import type { Finding } from '../../errors.js';
import type { MachineDefinition } from '../../check/manifest.js';
import { OUTCOMES } from '../outcome.js';
import type { Captured, Comparison, RunReport } from '../types.js';
import {
  failedFirst,
  formatBytes,
  formatDuration,
  formatNumber,
  formatTolerance,
  metricPairs,
} from './format.js';
import { html, type Html } from './html-escape.js';
import { renderFigure } from './html-tree.js';
import type { Picture } from './tree-view.js';
import { OUTCOME_LOOK } from './tone.js';

/** The header: outcome badge, machine and case, the reason, and who ran what when. */
export function renderHeader(report: RunReport, definition: MachineDefinition): Html {
  const look = OUTCOME_LOOK[report.outcome];
  const info = definition.settings.info;
  const title = info['title'] ?? info['display-name'];
  return html`<header class="run ${look.tone}">
    <div class="badge ${look.tone}" title="${OUTCOMES[report.outcome].meaning}">
      ${look.label}<small>exit ${report.exitCode}</small>
    </div>
    <div class="title">
      ${report.machine.name}<span class="sep">·</span>case ${report.case.name}
      ${title && title !== report.machine.name ? html`<div class="where">${title}</div>` : ''}
    </div>
    <div class="reason">${report.reason || OUTCOMES[report.outcome].meaning}</div>
    <div class="meta">
      <span
        >driver
        <b>${report.driver}</b>${report.image ? html` · image <b class="mono">${report.image}</b>` : ''}</span
      >
      <span>started <b>${report.startedAt}</b></span>
      <span>command <code>${report.command.join(' ')}</code></span>
      <span>berth <b>${report.berthVersion}</b></span>
    </div>
  </header>`;
}

function stat(k: string, v: string, tone = '', extra: Html | '' = ''): Html {
  return html`<div class="stat">
    <div class="k">${k}</div>
    <div class="v ${tone}">${v}</div>
    ${extra}
  </div>`;
}

/** The numbers at a glance: time, CPU, memory, progress, findings and comparisons. */
export function renderStats(report: RunReport): Html {
  const u = report.usage;
  const failed = report.comparisons.filter((c) => !c.passed).length;
  const errorsIn = report.inputFindings.filter((f) => f.severity === 'error').length;
  const errorsOut = report.outputFindings.filter((f) => f.severity === 'error').length;
  const progress = report.status.progress;
  const pct = progress === null ? null : Math.max(0, Math.min(100, progress));
  return html`<div class="stats">
    ${stat('wall time', u ? formatDuration(u.wallMs) : 'not run', '', html`<div class="where">timeout ${formatDuration(report.timeoutMs)}</div>`)}
    ${stat('CPU time', u?.cpuMs == null ? '—' : formatDuration(u.cpuMs))}
    ${stat('peak memory', u?.peakRssBytes == null ? '—' : formatBytes(u.peakRssBytes))}
    ${stat(
      'progress',
      pct === null ? '—' : `${formatNumber(pct)}%`,
      '',
      pct === null ? '' : html`<div class="progress"><span style="width:${pct.toFixed(1)}%"></span></div>`,
    )}
    ${stat('input findings', String(report.inputFindings.length), errorsIn ? 'bad' : report.inputFindings.length ? 'warn' : 'good')}
    ${stat('output findings', String(report.outputFindings.length), errorsOut ? 'bad' : report.outputFindings.length ? 'warn' : 'good')}
    ${stat(
      'comparisons',
      report.comparisons.length
        ? `${report.comparisons.length - failed}/${report.comparisons.length} passed`
        : 'none',
      failed ? 'bad' : report.comparisons.length ? 'good' : '',
    )}
  </div>`;
}

/** The status channel and notices: warnings, the error, settings berth could not honour. */
export function renderStatus(report: RunReport): Html | '' {
  const st = report.status;
  const p = report.process;
  const refused = st.findings ?? [];
  if (
    !st.warnings.length &&
    !refused.length &&
    st.error === null &&
    !report.notices.length &&
    !p?.signal &&
    !p?.timedOut
  )
    return '';
  return html`<section>
    <h2>Status</h2>
    ${st.error !== null ? html`<p><span class="chip fail">status error</span> ${st.error}</p>` : ''}
    ${
      p?.signal || p?.timedOut
        ? html`<p>
            <span class="chip fail">process</span>
            ${p.timedOut ? 'timed out; ' : ''}${p.signal ? `ended by ${p.signal}` : ''}
            ${p.stoppedByBerth ? '(stopped by berth)' : ''}${p.exitCode !== null ? `, exit code ${p.exitCode}` : ''}
          </p>`
        : ''
    }
    ${
      st.warnings.length || refused.length || report.notices.length
        ? html`<ul class="notes">
            ${st.warnings.map((w) => html`<li class="warn"><span class="chip warn">warning</span> ${w}</li>`)}
            ${refused.map(
              (f) =>
                html`<li class="warn"><span class="chip warn">refused</span> ${f.code} ${f.message}</li>`,
            )}
            ${report.notices.map((n) => html`<li><span class="chip info">notice</span> ${n}</li>`)}
          </ul>`
        : ''
    }
  </section>`;
}

/** A table of findings: severity, code, where (property, path, line), message and expectation. */
export function renderFindings(title: string, findings: readonly Finding[], id: string): Html {
  const body = findings.length
    ? html`<table>
        <thead>
          <tr>
            <th></th>
            <th>code</th>
            <th>where</th>
            <th>message</th>
          </tr>
        </thead>
        <tbody>
          ${findings.map(
            (f) =>
              html`<tr>
                <td class="sev">
                  <span class="chip ${f.severity === 'error' ? 'fail' : 'warn'}">${f.severity}</span>
                </td>
                <td class="code mono">${f.code}</td>
                <td>
                  ${f.property ? html`<div class="mono">${f.property}</div>` : ''}
                  ${f.path ? html`<div class="where mono">${f.path}${f.line !== undefined ? `:${f.line}` : ''}</div>` : ''}
                </td>
                <td>
                  ${f.message}${f.expected ? html`<div class="where">expected ${f.expected}</div>` : ''}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>`
    : html`<p class="none">none</p>`;
  return html`<section id="${id}">
    <h2>${title} <span class="count">${findings.length}</span></h2>
    ${body}
  </section>`;
}

/** The pictures of one comparison, resolved and inlined by the caller. */
export interface ComparisonPictures {
  expected?: Picture;
  actual?: Picture;
  diff?: Picture;
  /** Why a listed image could not be shown, by role. */
  errors: Partial<Record<'expected' | 'actual' | 'diff', string>>;
}

/** Every comparison, failed ones first: values, metrics, tolerance, message, and images. */
export function renderComparisons(
  comparisons: readonly Comparison[],
  pictures: ReadonlyMap<Comparison, ComparisonPictures>,
): Html {
  const failed = comparisons.filter((c) => !c.passed).length;
  const body = comparisons.length
    ? failedFirst(comparisons).map((c) => renderComparison(c, pictures.get(c)))
    : html`<p class="none">none: the case gives no expected outputs</p>`;
  return html`<section id="comparisons">
    <h2>
      Comparisons
      <span class="count">${comparisons.length - failed} passed${failed ? `, ${failed} failed` : ''}</span>
    </h2>
    ${body}
  </section>`;
}

function renderComparison(c: Comparison, pics: ComparisonPictures | undefined): Html {
  const metrics = metricPairs(c);
  const tol = formatTolerance(c);
  const roles = (['expected', 'actual', 'diff'] as const).filter((r) => c.images?.[r] !== undefined);
  return html`<div class="cmp ${c.passed ? 'passed' : 'failed'}">
    <div class="cmp-head">
      <span class="chip ${c.passed ? 'pass' : 'fail'}">${c.passed ? 'passed' : 'failed'}</span>
      <span class="path mono">${c.path}</span>
      <span class="chip">${c.kind}</span><span class="chip">${c.method}</span>
      <span class="where mono">${c.property}</span>
    </div>
    ${c.message ? html`<p class="cmp-msg">${c.message}</p>` : ''}
    ${
      c.expected !== undefined || c.actual !== undefined || metrics.length || tol
        ? html`<div class="vs">
            ${c.expected !== undefined ? html`<span class="k">expected</span><code class="exp">${c.expected}</code>` : ''}
            ${c.actual !== undefined ? html`<span class="k">actual</span><code class="act">${c.actual}</code>` : ''}
            ${metrics.map(([k, v]) => html`<span class="k">${k}</span><code>${v}</code>`)}
            ${tol ? html`<span class="k">tolerance</span><span>${tol}</span>` : ''}
          </div>`
        : ''
    }
    ${
      roles.length
        ? html`<div class="pics">
            ${roles.map((r) => renderFigure(pics?.[r], r, pics?.errors[r] ?? 'not available'))}
          </div>`
        : ''
    }
  </div>`;
}

// Terminal escape sequences (colors, cursor moves) are common in logs and mean nothing on a page.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

function withoutAnsi(text: string): string {
  return text.replace(ANSI, '');
}

function renderStream(name: string, cap: Captured | null): Html {
  if (!cap)
    return html`<div>
      <h3>${name}</h3>
      <p class="none">not captured</p>
    </div>`;
  const size =
    cap.droppedBytes > 0
      ? html`${formatBytes(cap.totalBytes)},
          <span class="chip warn">${formatBytes(cap.droppedBytes)} dropped</span>`
      : html`${cap.totalBytes ? formatBytes(cap.totalBytes) : 'empty'}`;
  return html`<div>
    <h3>${name}</h3>
    <div class="where">${size} · <span class="mono">${cap.file}</span></div>
    ${cap.tail ? html`<pre class="tail">${withoutAnsi(cap.tail)}</pre>` : ''}
  </div>`;
}

/** The tails of stdout and stderr, side by side. */
export function renderStreams(report: RunReport): Html {
  return html`<section id="output-streams">
    <h2>Captured output <span class="count">last lines</span></h2>
    <div class="streams">
      ${renderStream('stdout', report.stdout)} ${renderStream('stderr', report.stderr)}
    </div>
  </section>`;
}

/** Where things are: manifest, case, kept trees, and the report's own files. */
export function renderFooter(report: RunReport, extra: [string, string][]): Html {
  const rows: [string, string][] = [
    ['manifest', report.machine.manifest],
    ['machine', report.machine.dir],
    ['case', report.case.path],
  ];
  if (report.trees) {
    rows.push(
      ['input tree', report.trees.input],
      ['output tree', report.trees.output],
      ['status', report.trees.status],
    );
    if (report.trees.expected) rows.push(['expected tree', report.trees.expected]);
  }
  rows.push(...extra);
  return html`<footer>
    <dl>
      ${rows.map(
        ([k, v]) =>
          html`<dt>${k}</dt>
            <dd class="mono">${v}</dd>`,
      )}
    </dl>
    generated by berth ${report.berthVersion} · ${report.schema}
  </footer>`;
}
