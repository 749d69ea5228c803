/**
 * The batch report's data (`batch.json`, schemas/batch.schema.json): outcome counts, every case
 * (the failed first, then the slowest), run-time and memory statistics, and the comparison
 * metrics of every output property aggregated over the cases — all from the cases' completed
 * records, so a resumed or re-aggregated batch reports the same as one that ran in one go.
 */
import { OUTCOMES, type Outcome } from '../harness/outcome.js';
import { VERSION } from '../version.js';
import type { BaselineReport } from './baseline-report.js';
import type { CaseRef } from './cases.js';
import { CASE_FILES, casePassed, type BatchOutcome, type CaseRecord } from './job.js';

/** Count, extremes, mean and quantiles of a set of numbers. */
export interface Stats {
  count: number;
  min: number;
  max: number;
  mean: number;
  median: number;
  p95: number;
}

/** One case in the batch report. */
export interface BatchCase {
  id: string;
  case: string;
  /** `pending`: the batch stopped before the case finished. */
  outcome: BatchOutcome | 'pending';
  /** The outcome the case file expects, when it is not `passed`. */
  expected?: Outcome;
  exitCode: number | null;
  reason: string;
  startedAt: string | null;
  wallMs: number | null;
  peakRssBytes: number | null;
  /** The case's own reports, relative to the batch report. */
  reports: { json?: string; html?: string };
  /** Queue mode: how many times the case's job was delivered to a worker (see CaseRecord). */
  deliveries?: number;
}

/** The comparisons of one output property over every case that compared it. */
export interface PropertyAggregate {
  property: string;
  kind: string;
  methods: string[];
  compared: number;
  passed: number;
  failed: number;
  /** Each numeric metric (`dice.1`, `maxAbs` …) over the comparisons that reported it. */
  metrics: Record<string, Stats>;
}

/** The whole batch report. */
export interface BatchReport {
  schema: 'berth-batch-report/1';
  berthVersion: string;
  machine: { name: string; manifest: string };
  driver: string;
  image?: string;
  concurrency: number;
  startedAt: string;
  finishedAt: string;
  /** True when the batch was stopped (Ctrl-C) before every case had finished. */
  interrupted: boolean;
  /** `passed`: the finished cases that ended as their case files expect (see casePassed). */
  counts: {
    total: number;
    finished: number;
    pending: number;
    passed: number;
    outcomes: Record<BatchOutcome, number>;
  };
  wallMs: Stats | null;
  peakRssBytes: Stats | null;
  cases: BatchCase[];
  comparisons: PropertyAggregate[];
  /** `--baseline`: the cases whose outputs changed from the baseline's (batch/baseline.ts). */
  baseline?: BaselineReport;
}

/** The statistics of `values`, or null when there are none. */
export function statsOf(values: readonly number[]): Stats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mean: sum / sorted.length,
    median: at(0.5),
    p95: at(0.95),
  };
}

/** Every outcome a batch case can have, each counted from zero. */
function zeroCounts(): Record<BatchOutcome, number> {
  const counts = { error: 0 } as Record<BatchOutcome, number>;
  for (const o of Object.keys(OUTCOMES) as (keyof typeof OUTCOMES)[]) counts[o] = 0;
  return counts;
}

function caseOf(ref: CaseRef, record: CaseRecord | undefined): BatchCase {
  if (!record) {
    return {
      id: ref.id,
      case: ref.path,
      outcome: 'pending',
      exitCode: null,
      reason: 'not run yet',
      startedAt: null,
      wallMs: null,
      peakRssBytes: null,
      reports: {},
    };
  }
  const href = (file: string): string => `${encodeURIComponent(ref.id)}/${file}`;
  return {
    id: ref.id,
    case: record.case,
    outcome: record.outcome,
    ...(record.expected ? { expected: record.expected } : {}),
    exitCode: record.exitCode,
    reason: record.reason,
    startedAt: record.startedAt,
    wallMs: record.wallMs,
    peakRssBytes: record.peakRssBytes,
    reports: {
      ...(record.files.includes(CASE_FILES.json) ? { json: href(CASE_FILES.json) } : {}),
      ...(record.files.includes(CASE_FILES.html) ? { html: href(CASE_FILES.html) } : {}),
    },
    ...(record.deliveries !== undefined ? { deliveries: record.deliveries } : {}),
  };
}

/** Failed cases first (errors, then other outcomes), then passed, then pending; slowest first in each. */
function caseOrder(a: BatchCase, b: BatchCase): number {
  const rank = (c: BatchCase): number => (c.outcome === 'pending' ? 2 : casePassed(c) ? 1 : 0);
  return rank(a) - rank(b) || (b.wallMs ?? -1) - (a.wallMs ?? -1) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Comparison metrics per output property, over every finished case. */
export function aggregateComparisons(records: readonly CaseRecord[]): PropertyAggregate[] {
  const byProperty = new Map<string, { agg: PropertyAggregate; values: Map<string, number[]> }>();
  for (const record of records) {
    for (const c of record.comparisons) {
      let entry = byProperty.get(c.property);
      if (!entry) {
        entry = {
          agg: {
            property: c.property,
            kind: c.kind,
            methods: [],
            compared: 0,
            passed: 0,
            failed: 0,
            metrics: {},
          },
          values: new Map(),
        };
        byProperty.set(c.property, entry);
      }
      const { agg, values } = entry;
      agg.compared++;
      if (c.passed) agg.passed++;
      else agg.failed++;
      if (!agg.methods.includes(c.method)) agg.methods.push(c.method);
      for (const [name, value] of Object.entries(c.metrics)) {
        const list = values.get(name) ?? [];
        list.push(value);
        values.set(name, list);
      }
    }
  }
  return [...byProperty.values()]
    .map(({ agg, values }) => {
      for (const [name, list] of values) agg.metrics[name] = statsOf(list)!;
      return agg;
    })
    .sort((a, b) => (a.property < b.property ? -1 : a.property > b.property ? 1 : 0));
}

/** What the report says about the batch besides its cases. */
export interface BatchIdentity {
  machine: { name: string; manifest: string };
  driver: string;
  image?: string;
  concurrency: number;
  startedAt: Date;
  interrupted: boolean;
}

/** The batch report of `cases`, from their records (a case without one is pending). */
export function buildBatchReport(
  identity: BatchIdentity,
  cases: readonly CaseRef[],
  records: ReadonlyMap<string, CaseRecord>,
): BatchReport {
  const finished = cases.flatMap((c) => {
    const r = records.get(c.id);
    return r ? [r] : [];
  });
  const outcomes = zeroCounts();
  for (const r of finished) outcomes[r.outcome]++;
  const numbers = (pick: (r: CaseRecord) => number | null): number[] =>
    finished.map(pick).filter((v): v is number => v !== null);
  return {
    schema: 'berth-batch-report/1',
    berthVersion: VERSION,
    machine: identity.machine,
    driver: identity.driver,
    ...(identity.image ? { image: identity.image } : {}),
    concurrency: identity.concurrency,
    startedAt: identity.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    interrupted: identity.interrupted,
    counts: {
      total: cases.length,
      finished: finished.length,
      pending: cases.length - finished.length,
      passed: finished.filter(casePassed).length,
      outcomes,
    },
    wallMs: statsOf(numbers((r) => r.wallMs)),
    peakRssBytes: statsOf(numbers((r) => r.peakRssBytes)),
    cases: cases.map((c) => caseOf(c, records.get(c.id))).sort(caseOrder),
    comparisons: aggregateComparisons(finished),
  };
}
