/** Batch reports built from made-up case records, for the aggregate and page tests. */
import type { CaseRef } from '../../src/batch/cases.js';
import { buildBatchReport, type BatchReport } from '../../src/batch/aggregate.js';
import { recordOfError, type CaseRecord } from '../../src/batch/job.js';

/** A name with markup, to prove the page escapes what comes from cases. */
export const XSS_ID = '<img src=x onerror=alert(1)>';

/** A finished case with one Dice comparison of `label-map` and one numeric comparison. */
export function diceRecord(
  id: string,
  dice: number,
  wallMs: number,
  rss: number,
  passed = dice >= 0.9,
): CaseRecord {
  return {
    schema: 'berth-batch-case/1',
    id,
    case: `/data/${id}`,
    outcome: passed ? 'passed' : 'failed-compare',
    exitCode: passed ? 0 : 10,
    reason: passed ? 'All 2 comparison(s) passed' : '1 of 2 comparison(s) failed, first: label-map',
    startedAt: '2026-12-01T10:00:00.000Z',
    finishedAt: '2026-12-01T10:00:01.000Z',
    wallMs,
    peakRssBytes: rss,
    cpuMs: 10,
    comparisons: [
      {
        property: 'schema-out/label-map',
        kind: 'ndarray',
        method: 'dice',
        passed,
        metrics: { 'dice.1': dice, 'dice.2': 1 },
      },
      {
        property: 'schema-out/volume',
        kind: 'number',
        method: 'numeric',
        passed: true,
        metrics: { absDiff: 0.5 },
      },
    ],
    files: ['report.json', 'report.html', 'output', 'logs'],
  };
}

/** Twelve cases: eight passed, two failed the comparison, one error, one pending. */
export function sampleBatch(): { cases: CaseRef[]; records: Map<string, CaseRecord>; report: BatchReport } {
  const cases: CaseRef[] = [];
  const records = new Map<string, CaseRecord>();
  const add = (r: CaseRecord | undefined, id: string): void => {
    cases.push({ id, path: `/data/${id}` });
    if (r) records.set(id, r);
  };
  for (let i = 0; i < 8; i++)
    add(diceRecord(`ok-${i}`, 0.9 + i / 100, 100 + 50 * i, 20e6 + i * 1e6), `ok-${i}`);
  add(diceRecord('slow-bad', 0.5, 5000, 90e6), 'slow-bad');
  add(diceRecord(XSS_ID, 0.7, 300, 30e6), XSS_ID);
  const t = new Date('2026-12-01T10:00:00Z');
  add(
    recordOfError(
      'broken',
      '/data/broken',
      { code: 'BERTH_E_CASE_FORMAT', message: 'inputs must be a mapping' },
      { startedAt: t, finishedAt: t },
    ),
    'broken',
  );
  add(undefined, 'later');
  const report = buildBatchReport(
    {
      machine: { name: 'seg', manifest: '/m/machine.yaml' },
      driver: 'process',
      concurrency: 2,
      startedAt: t,
      interrupted: true,
    },
    cases,
    records,
  );
  return { cases, records, report };
}
