/**
 * Short human forms of the numbers in a run report, shared by the terminal and HTML reports so
 * both say the same thing the same way.
 */
import type { Comparison } from '../types.js';

/** Bytes in decimal units: `812 B`, `9.2 MB`, `10.2 MB`, `1.5 GB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const sign = bytes < 0 ? '-' : '';
  if (unit === 0) return `${sign}${value} B`;
  // One decimal below 100 (`9.2 MB`, `10.2 MB`), none above (`812 MB`); no trailing `.0`.
  const text = value >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, '');
  return `${sign}${text} ${units[unit]}`;
}

/** A duration: `850 ms`, `12.3 s`, `2 min 05 s`, `10 min`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  const totalS = Math.round(s);
  const min = Math.floor(totalS / 60);
  if (min < 60) return totalS % 60 ? `${min} min ${String(totalS % 60).padStart(2, '0')} s` : `${min} min`;
  return min % 60 ? `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min` : `${min / 60} h`;
}

/** A number short enough for a summary line: integers as they are, others to 4 significant digits. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return n.toExponential(3);
  return String(Number(n.toPrecision(4)));
}

/** A metric value in one line: numbers shortened, objects as `k=v` pairs, nested ones as JSON. */
export function formatMetric(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map(formatMetric).join(', ')}]`;
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${formatMetric(v)}`)
    .join(', ');
}

/** The metrics of a comparison as `name=value` pairs, in their order. */
export function metricPairs(c: Comparison): [string, string][] {
  return Object.entries(c.metrics ?? {}).map(([k, v]) => [k, formatMetric(v)]);
}

/** The tolerance of a comparison in words (`abs 0.01, rel 1e-3`), or undefined when none applies. */
export function formatTolerance(c: Comparison): string | undefined {
  const t = c.tolerance;
  if (!t) return undefined;
  const parts: string[] = [];
  if (t.abs !== undefined) parts.push(`abs ${formatNumber(t.abs)}`);
  if (t.rel !== undefined) parts.push(`rel ${formatNumber(t.rel)}`);
  if (t.maxDiffPixels !== undefined) parts.push(`max ${t.maxDiffPixels} differing px`);
  if (t.dice !== undefined) parts.push(`dice ≥ ${formatNumber(t.dice)}`);
  if (t.ignore?.length) parts.push(`ignoring ${t.ignore.join(', ')}`);
  return parts.length ? parts.join(', ') : undefined;
}

/** Failed comparisons first, each group in report order (a stable sort). */
export function failedFirst(comparisons: readonly Comparison[]): Comparison[] {
  return [...comparisons].sort((a, b) => Number(a.passed) - Number(b.passed));
}

/** The last `n` non-empty lines of a text. */
export function lastLines(text: string, n: number): string[] {
  const lines = text.replace(/\s+$/, '').split(/\r?\n/);
  return lines.slice(Math.max(0, lines.length - n));
}

/** Shortens a text to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  if (max <= 1) return text.slice(0, Math.max(0, max));
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

// Control characters are exactly what this pattern is for.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * The one rule for text from a machine (warnings, errors, output) or a value shown on a terminal:
 * control characters — C0 but tab and newline, DEL, and the C1 range, where ESC-less escapes such
 * as CSI (0x9b) and OSC (0x9d) live — would act on the reader's terminal (move the cursor, set the
 * title, clear the screen), so each is shown as a visible `\xNN` instead.
 */
export function visibleControls(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
