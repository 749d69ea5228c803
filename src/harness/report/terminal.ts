/**
 * The summary a person reads in the terminal after a run: the outcome first, then why, what it
 * cost, what the machine said, what was found, what differed, and where the full reports are.
 * Colors are plain ANSI SGR codes (no dependency) and are never used when NO_COLOR is set.
 */
import { OUTCOMES } from '../outcome.js';
import type { Captured, Comparison, RunReport } from '../types.js';
import type { Finding } from '../../errors.js';
import {
  clip,
  failedFirst,
  formatBytes,
  formatDuration,
  formatNumber,
  formatTolerance,
  lastLines,
  metricPairs,
  visibleControls,
} from './format.js';
import { OUTCOME_LOOK, type Tone } from './tone.js';
import { deidSummary } from './deid.js';

/** Options of {@link renderTerminalSummary}. */
export interface TerminalOptions {
  /** Use ANSI colors (still off when NO_COLOR is set in `env`). */
  color: boolean;
  /**
   * Columns to fit long lines into (default 100, at least 40); `Infinity` cuts nothing — for
   * output that is not a terminal ({@link summaryWidth}), where a cut line would hide the end.
   */
  width?: number;
  /** Where the full reports were written, listed at the end. */
  reports?: { json?: string; html?: string };
  /** Lines of the stderr tail shown when the run did not pass (default 8; 0 for none). */
  tailLines?: number;
  /** The environment consulted for NO_COLOR (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** True when colors suit a stream: a TTY, and NO_COLOR unset or empty (https://no-color.org). */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env['NO_COLOR'];
}

/** The width to render for a stream: its columns on a terminal, else no limit (nothing cut with "…"). */
export function summaryWidth(stream: { isTTY?: boolean; columns?: number }): number {
  return stream.isTTY ? (stream.columns ?? 100) : Infinity;
}

const SGR = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  cyan: '\x1b[36m',
  badge: {
    pass: '\x1b[1;97;42m',
    differ: '\x1b[1;30;43m',
    fail: '\x1b[1;97;41m',
    case: '\x1b[1;97;44m',
  } satisfies Record<Tone, string>,
} as const;

type Paint = (code: string, text: string) => string;

/** One line, control characters made visible and newlines flattened, cut to `max` columns. */
function line(text: string, max: number): string {
  return clip(visibleControls(text.replace(/\r?\n/g, ' ⏎ ')), max);
}

/**
 * Renders the summary of a run for the terminal, ending with a newline.
 *
 * Layout: the outcome badge with machine, case and exit code; the reason; wall and CPU time,
 * peak memory; the status channel (progress, warnings, error); notices; input and output
 * findings; comparisons (failed ones first, with expected vs actual and metrics); output caps of
 * stdout and stderr; the stderr tail when the run did not pass; the report paths.
 */
export function renderTerminalSummary(report: RunReport, options: TerminalOptions): string {
  const env = options.env ?? process.env;
  const color = options.color && !env['NO_COLOR'];
  const width = Math.max(40, options.width ?? 100);
  const paint: Paint = (code, text) => (color && code ? `${code}${text}${SGR.reset}` : text);
  const out: string[] = [];
  const look = OUTCOME_LOOK[report.outcome];

  // --- headline: outcome, machine, case ---------------------------------------------------
  const badge = color ? paint(SGR.badge[look.tone], ` ${look.label} `) : `[${look.label}]`;
  const who = `${report.machine.name} · case ${report.case.name} · ${report.driver}${report.image ? ` (${report.image})` : ''}`;
  out.push(`${badge} ${paint(SGR.bold, line(who, width - look.label.length - 14))}  exit ${report.exitCode}`);
  out.push(`  ${line(report.reason || OUTCOMES[report.outcome].meaning, width - 2)}`);

  // --- cost --------------------------------------------------------------------------------
  const cost: string[] = [];
  if (report.usage) {
    cost.push(`${formatDuration(report.usage.wallMs)} wall`);
    if (report.usage.cpuMs !== null) cost.push(`${formatDuration(report.usage.cpuMs)} CPU`);
    if (report.usage.peakRssBytes !== null)
      cost.push(`${formatBytes(report.usage.peakRssBytes)} peak memory`);
  } else cost.push('not run');
  cost.push(`timeout ${formatDuration(report.timeoutMs)}`);
  if (report.process?.signal) cost.push(`signal ${report.process.signal}`);
  out.push(`  ${paint(SGR.dim, 'time')}    ${line(cost.join(' · '), width - 10)}`);

  // --- status channel ----------------------------------------------------------------------
  const st = report.status;
  const status: string[] = [];
  status.push(st.progress === null ? 'no progress reported' : `progress ${formatNumber(st.progress)}%`);
  status.push(`${st.warnings.length} warning${st.warnings.length === 1 ? '' : 's'}`);
  out.push(`  ${paint(SGR.dim, 'status')}  ${line(status.join(' · '), width - 10)}`);
  if (st.error !== null)
    out.push(`    ${paint(SGR.red, '✗')} ${paint(SGR.red, line(`error: ${st.error}`, width - 6))}`);
  for (const w of st.warnings) out.push(`    ${paint(SGR.yellow, '!')} ${line(w, width - 6)}`);
  for (const f of st.findings ?? [])
    out.push(`    ${paint(SGR.yellow, '!')} ${line(`${f.code} ${f.message}`, width - 6)}`);
  for (const n of report.notices) out.push(`    ${paint(SGR.cyan, 'i')} ${line(n, width - 6)}`);
  if (report.deidentification)
    out.push(`  ${paint(SGR.dim, 'deid')}    ${line(deidSummary(report.deidentification), width - 10)}`);

  // --- findings ----------------------------------------------------------------------------
  out.push('');
  out.push(...findingsBlock('Input findings', report.inputFindings, paint, width));
  out.push(...findingsBlock('Output findings', report.outputFindings, paint, width));

  // --- comparisons -------------------------------------------------------------------------
  out.push(...comparisonsBlock(report.comparisons, paint, width));

  // --- captured output ---------------------------------------------------------------------
  const streams: string[] = [];
  for (const [name, cap] of [
    ['stdout', report.stdout],
    ['stderr', report.stderr],
  ] as const) {
    if (cap) streams.push(capLine(name, cap, paint));
  }
  if (streams.length) out.push(`${paint(SGR.bold, 'Output')}  ${streams.join(' · ')}`);
  const tailLines = options.tailLines ?? 8;
  if (report.outcome !== 'passed' && tailLines > 0 && report.stderr?.tail.trim()) {
    out.push(`  ${paint(SGR.dim, `stderr, last lines (${report.stderr.file}):`)}`);
    for (const l of lastLines(report.stderr.tail, tailLines))
      out.push(`  ${paint(SGR.dim, '│')} ${line(l, width - 4)}`);
  }

  // --- where the rest is -------------------------------------------------------------------
  const paths: [string, string][] = [];
  if (options.reports?.json) paths.push(['json', options.reports.json]);
  if (options.reports?.html) paths.push(['html', options.reports.html]);
  if (report.outputsCopiedTo) paths.push(['outputs', report.outputsCopiedTo]);
  if (report.runFolder?.kept) paths.push(['run', report.runFolder.path]);
  if (report.trees) {
    paths.push(['input', report.trees.input], ['output', report.trees.output]);
    if (report.trees.expected) paths.push(['expected', report.trees.expected]);
  }
  if (paths.length) {
    out.push(paint(SGR.bold, 'Reports'));
    for (const [label, p] of paths) out.push(`  ${paint(SGR.dim, label.padEnd(8))} ${visibleControls(p)}`);
  }
  if (report.runFolder && !report.runFolder.kept) {
    out.push(
      paint(
        SGR.dim,
        `The run folder (input/, output/, status/, logs/) was removed: keep it with --keep${report.outputsCopiedTo ? '' : ', or copy the outputs with --out DIR'}`,
      ),
    );
  }
  return out.join('\n') + '\n';
}

function findingsBlock(title: string, findings: readonly Finding[], paint: Paint, width: number): string[] {
  if (findings.length === 0) return [`${paint(SGR.bold, title)}  ${paint(SGR.green, 'none')}`];
  const errors = findings.filter((f) => f.severity === 'error').length;
  const counts = [
    errors && `${errors} error${errors === 1 ? '' : 's'}`,
    findings.length - errors &&
      `${findings.length - errors} warning${findings.length - errors === 1 ? '' : 's'}`,
  ]
    .filter(Boolean)
    .join(', ');
  const out = [`${paint(SGR.bold, title)}  ${counts}`];
  for (const f of findings) {
    const mark = f.severity === 'error' ? paint(SGR.red, '✗') : paint(SGR.yellow, '!');
    const where = f.property ?? f.path ?? '';
    out.push(
      `  ${mark} ${paint(SGR.bold, f.code)}${where ? `  ${line(where, width - f.code.length - 8)}` : ''}`,
    );
    out.push(`      ${line(f.message, width - 6)}`);
    if (f.expected) out.push(`      ${paint(SGR.dim, 'expected')} ${line(f.expected, width - 15)}`);
  }
  return out;
}

function comparisonsBlock(comparisons: readonly Comparison[], paint: Paint, width: number): string[] {
  if (comparisons.length === 0) return [`${paint(SGR.bold, 'Comparisons')}  ${paint(SGR.dim, 'none')}`];
  const failed = comparisons.filter((c) => !c.passed).length;
  const head =
    `${comparisons.length - failed} passed` + (failed ? `, ${paint(SGR.red, `${failed} failed`)}` : '');
  const out = [`${paint(SGR.bold, 'Comparisons')}  ${head}`];
  for (const c of failedFirst(comparisons)) {
    const mark = c.passed ? paint(SGR.green, '✓') : paint(SGR.red, '✗');
    out.push(
      `  ${mark} ${paint(c.passed ? '' : SGR.bold, line(c.path, width / 2))}  ${paint(SGR.dim, `${c.kind} · ${c.method}`)}`,
    );
    if (c.passed) continue;
    if (c.expected !== undefined || c.actual !== undefined) {
      const half = Math.max(12, Math.floor((width - 30) / 2));
      out.push(
        `      expected ${paint(SGR.green, line(c.expected ?? '—', half))}   actual ${paint(SGR.red, line(c.actual ?? '—', half))}`,
      );
    }
    const metrics = metricPairs(c).map(([k, v]) => `${k} ${v}`);
    const tol = formatTolerance(c);
    if (metrics.length || tol) {
      out.push(`      ${line([...metrics, ...(tol ? [`tolerance ${tol}`] : [])].join(' · '), width - 6)}`);
    }
    if (c.message) out.push(`      ${line(c.message, width - 6)}`);
    if (c.images?.diff) out.push(`      ${paint(SGR.dim, `diff image ${visibleControls(c.images.diff)}`)}`);
  }
  return out;
}

function capLine(name: string, cap: Captured, paint: Paint): string {
  const total = `${name}: ${formatBytes(cap.totalBytes)}`;
  if (cap.droppedBytes > 0)
    return `${total}, ${paint(SGR.yellow, `${formatBytes(cap.droppedBytes)} dropped`)}`;
  return cap.totalBytes === 0 ? `${name}: empty` : total;
}
