/**
 * A histogram as inline SVG (no script, no request): equal-width bins between the smallest and
 * the largest value, one bar per bin with its range and count as a tooltip, the range under the
 * axis and the tallest count beside it.
 */
import { html, raw, type Html } from '../harness/report/html-escape.js';

/** Counts of `values` in `bins` equal-width bins from min to max (one bin when all are equal). */
export function binValues(
  values: readonly number[],
  bins: number,
): { from: number; to: number; count: number }[] {
  if (values.length === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const n = max > min ? bins : 1;
  const width = (max - min) / n;
  const out = Array.from({ length: n }, (_, i) => ({
    from: min + i * width,
    to: i === n - 1 ? max : min + (i + 1) * width,
    count: 0,
  }));
  for (const v of values) {
    const i = width === 0 ? 0 : Math.min(n - 1, Math.floor((v - min) / width));
    out[i]!.count++;
  }
  return out;
}

const W = 560;
const H = 180;
const PAD = { left: 36, right: 10, top: 12, bottom: 28 };

/** The histogram of `values` as an `<svg>` element; `format` writes a value for people. */
export function svgHistogram(
  values: readonly number[],
  options: { label: string; format: (n: number) => string; bins?: number },
): Html {
  const bins = binValues(values, options.bins ?? 20);
  if (bins.length === 0) return html`<p class="none">No ${options.label} measured.</p>`;
  const tallest = Math.max(...bins.map((b) => b.count));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const barW = plotW / bins.length;
  const bars = bins.map((b, i) => {
    const h = tallest === 0 ? 0 : (plotH * b.count) / tallest;
    const x = PAD.left + i * barW;
    const y = PAD.top + plotH - h;
    return html`<rect
      class="bar"
      x="${x.toFixed(1)}"
      y="${y.toFixed(1)}"
      width="${Math.max(1, barW - 2).toFixed(1)}"
      height="${h.toFixed(1)}"
      ><title>${options.format(b.from)} – ${options.format(b.to)}: ${b.count}</title></rect
    >`;
  });
  const axisY = PAD.top + plotH;
  return html`<svg
    class="histogram"
    role="img"
    viewBox="0 0 ${W} ${H}"
    width="${W}"
    height="${H}"
    aria-label="${options.label} histogram"
  >
    <line x1="${PAD.left}" y1="${axisY}" x2="${W - PAD.right}" y2="${axisY}" class="axis" />
    ${bars}
    <text x="${PAD.left}" y="${H - 8}" class="tick">${options.format(bins[0]!.from)}</text>
    <text x="${W - PAD.right}" y="${H - 8}" class="tick" text-anchor="end">
      ${options.format(bins[bins.length - 1]!.to)}
    </text>
    <text x="${PAD.left - 6}" y="${PAD.top + 10}" class="tick" text-anchor="end">${tallest}</text>
    <text x="${PAD.left - 6}" y="${axisY}" class="tick" text-anchor="end">0</text>
  </svg>`;
}

/** The histogram's style (appended to the report's style sheet). */
export const HISTOGRAM_STYLE = raw(`
svg.histogram { max-width: 100%; height: auto; display: block; }
svg.histogram .bar { fill: var(--case); }
svg.histogram .axis { stroke: var(--muted); stroke-width: 1; }
svg.histogram .tick { fill: var(--muted); font-size: 11px; }
`);
