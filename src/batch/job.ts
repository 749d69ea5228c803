/**
 * The job model of a batch: one job per case, keyed by the case id. A finished job leaves a
 * {@link CaseRecord} — its completed marker — beside its outputs; a job whose marker exists is
 * never run again (`--resume` locally; a re-delivered job of a queue later).
 */
import { OUTCOMES, type Outcome } from '../harness/outcome.js';
import type { Comparison, RunReport } from '../harness/types.js';

/** How a case ended: a run outcome, or `error` when berth could not run it (e.g. a broken case file). */
export type BatchOutcome = Outcome | 'error';

/** One comparison of a case, reduced to what the batch aggregates. */
export interface ComparisonSummary {
  property: string;
  kind: string;
  method: string;
  passed: boolean;
  /** The comparison's numeric metrics, nested names joined by dots (`dice.1`). */
  metrics: Record<string, number>;
}

/** The completed marker of one case: what the batch report needs, without reading its report. */
export interface CaseRecord {
  schema: 'berth-batch-case/1';
  id: string;
  /** The case folder or file it came from. */
  case: string;
  outcome: BatchOutcome;
  /** The outcome the case file expects (`expected.outcome`), when it is not `passed`. */
  expected?: Outcome;
  /** The run's exit code (null for `error`). */
  exitCode: number | null;
  reason: string;
  /** When berth started and finished the job (ISO 8601). */
  startedAt: string;
  finishedAt: string;
  /** The machine's own run time and peak memory (null when it never ran or was not measured). */
  wallMs: number | null;
  peakRssBytes: number | null;
  cpuMs: number | null;
  comparisons: ComparisonSummary[];
  /** Files of the case folder: `report.json`, `report.html`, `output/`, `logs/` (those written). */
  files: string[];
  /** The error that kept berth from running the case (`error` outcome only). */
  error?: { code: string; message: string };
  /**
   * Queue mode: how many times the queue handed this case's job to a worker, this run included
   * (2 or more: a worker died or stalled holding it, and it was run again). Absent when embedded.
   */
  deliveries?: number;
}

/** The files of a finished run, as they are named in its case folder. */
export const CASE_FILES = {
  json: 'report.json',
  html: 'report.html',
  output: 'output',
  logs: 'logs',
} as const;

/** The names of the batch report's files beside the case folders (no case may have these ids). */
export const BATCH_FILES = { json: 'batch.json', html: 'batch.html' } as const;

/** The most metric values kept per comparison (a label map may hold many). */
export const MAX_METRICS_PER_COMPARISON = 64;

/** Numeric metrics of a comparison, flattened: `{dice: {1: 0.98}}` → `{'dice.1': 0.98}`. */
export function numericMetrics(metrics: Record<string, unknown> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  let count = 0;
  const walk = (value: unknown, name: string, depth: number): void => {
    if (count >= MAX_METRICS_PER_COMPARISON) return;
    if (typeof value === 'number' && Number.isFinite(value)) {
      out[name] = value;
      count++;
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < 3) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        walk(v, name ? `${name}.${k}` : k, depth + 1);
    }
  };
  walk(metrics ?? {}, '', 0);
  return out;
}

/** The summary of one comparison. */
export function summariseComparison(c: Comparison): ComparisonSummary {
  return {
    property: c.property,
    kind: c.kind,
    method: c.method,
    passed: c.passed,
    metrics: numericMetrics(c.metrics),
  };
}

/**
 * True when a case ended as its case file expects (`passed` unless it says otherwise), as `berth
 * test` judges a case: the one rule for what a batch counts as passed.
 */
export function casePassed(r: { outcome: BatchOutcome | 'pending'; expected?: Outcome }): boolean {
  return r.outcome === (r.expected ?? 'passed');
}

/** The record of a case that ran; `expected` is the case file's expected outcome. */
export function recordOfRun(
  id: string,
  casePath: string,
  report: RunReport,
  times: { startedAt: Date; finishedAt: Date },
  files: string[],
  expected: Outcome = 'passed',
): CaseRecord {
  return {
    schema: 'berth-batch-case/1',
    id,
    case: casePath,
    outcome: report.outcome,
    ...(expected === 'passed' ? {} : { expected }),
    exitCode: report.exitCode,
    reason: report.reason,
    startedAt: times.startedAt.toISOString(),
    finishedAt: times.finishedAt.toISOString(),
    wallMs: report.usage?.wallMs ?? null,
    peakRssBytes: report.usage?.peakRssBytes ?? null,
    cpuMs: report.usage?.cpuMs ?? null,
    comparisons: report.comparisons.map(summariseComparison),
    files,
  };
}

/** The record of a case berth could not run. */
export function recordOfError(
  id: string,
  casePath: string,
  error: { code: string; message: string },
  times: { startedAt: Date; finishedAt: Date },
): CaseRecord {
  return {
    schema: 'berth-batch-case/1',
    id,
    case: casePath,
    outcome: 'error',
    exitCode: null,
    reason: `${error.code}: ${error.message}`,
    startedAt: times.startedAt.toISOString(),
    finishedAt: times.finishedAt.toISOString(),
    wallMs: null,
    peakRssBytes: null,
    cpuMs: null,
    comparisons: [],
    files: [],
    error,
  };
}

/** True when a parsed marker has the shape of a record for `id` (else the case runs again). */
export function isRecordOf(value: unknown, id: string): value is CaseRecord {
  if (value === null || typeof value !== 'object') return false;
  const r = value as Partial<CaseRecord>;
  return (
    r.schema === 'berth-batch-case/1' &&
    r.id === id &&
    typeof r.outcome === 'string' &&
    (r.outcome === 'error' || Object.hasOwn(OUTCOMES, r.outcome)) &&
    (r.expected === undefined || Object.hasOwn(OUTCOMES, r.expected)) &&
    isNumberOrNull(r.wallMs) &&
    isNumberOrNull(r.peakRssBytes) &&
    typeof r.reason === 'string' &&
    typeof r.startedAt === 'string' &&
    typeof r.finishedAt === 'string' &&
    Array.isArray(r.comparisons) &&
    Array.isArray(r.files) &&
    (r.deliveries === undefined || (Number.isInteger(r.deliveries) && r.deliveries >= 1))
  );
}

function isNumberOrNull(v: unknown): boolean {
  return v === null || (typeof v === 'number' && Number.isFinite(v));
}
