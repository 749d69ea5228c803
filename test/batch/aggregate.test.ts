import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';
import { statsOf } from '../../src/batch/aggregate.js';
import { numericMetrics } from '../../src/batch/job.js';
import { ROOT } from '../support/paths.js';
import { sampleBatch, XSS_ID } from './fixture.js';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

describe('batch/aggregate', () => {
  let validate: ValidateFunction;
  before(() => {
    const schema = JSON.parse(
      readFileSync(path.join(ROOT, 'schemas', 'batch.schema.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    validate = ajv.compile(schema);
  });

  it('counts every outcome, with the cases that did not finish as pending', () => {
    const { report } = sampleBatch();
    expect(report.counts.total).to.equal(12);
    expect(report.counts.finished).to.equal(11);
    expect(report.counts.pending).to.equal(1);
    expect(report.counts.outcomes.passed).to.equal(8);
    expect(report.counts.outcomes['failed-compare']).to.equal(2);
    expect(report.counts.outcomes.error).to.equal(1);
    expect(report.counts.outcomes.timeout).to.equal(0);
  });

  it('lists the failed cases first, the slowest first among them, and the pending last', () => {
    const ids = sampleBatch().report.cases.map((c) => c.id);
    expect(ids.slice(0, 3)).to.deep.equal(['slow-bad', XSS_ID, 'broken']);
    expect(ids[3]).to.equal('ok-7');
    expect(ids[ids.length - 1]).to.equal('later');
  });

  it('aggregates each comparison metric per output property over the cases (Dice mean and min)', () => {
    const { report } = sampleBatch();
    const labels = report.comparisons.find((p) => p.property === 'schema-out/label-map')!;
    expect(labels).to.include({ kind: 'ndarray', compared: 10, passed: 8, failed: 2 });
    expect(labels.methods).to.deep.equal(['dice']);
    const dice = labels.metrics['dice.1']!;
    expect(dice.count).to.equal(10);
    expect(dice.min).to.equal(0.5);
    expect(dice.max).to.be.closeTo(0.97, 1e-12);
    const expectedMean =
      [0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.5, 0.7].reduce((a, b) => a + b) / 10;
    expect(dice.mean).to.be.closeTo(expectedMean, 1e-12);
    expect(report.comparisons.map((p) => p.property)).to.deep.equal([
      'schema-out/label-map',
      'schema-out/volume',
    ]);
  });

  it('summarises run time and memory over the finished cases', () => {
    const { report } = sampleBatch();
    expect(report.wallMs).to.include({ count: 10, min: 100, max: 5000 });
    expect(report.peakRssBytes!.max).to.equal(90e6);
    expect(statsOf([])).to.equal(null);
    expect(statsOf([3, 1, 2])).to.deep.equal({ count: 3, min: 1, max: 3, mean: 2, median: 2, p95: 3 });
  });

  it('flattens nested numeric metrics and drops the rest', () => {
    expect(
      numericMetrics({ dice: { 1: 0.98, 2: 0.5 }, maxAbs: 0.1, note: 'x', nan: NaN, list: [1] }),
    ).to.deep.equal({
      'dice.1': 0.98,
      'dice.2': 0.5,
      maxAbs: 0.1,
    });
  });

  it('matches schemas/batch.schema.json, and the schema refuses what breaks the shape', () => {
    const { report } = sampleBatch();
    const json = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
    expect(validate(json), JSON.stringify(validate.errors, null, 2)).to.equal(true);
    for (const broken of [
      { ...json, schema: 'berth-batch-report/2' },
      { ...json, surprise: 1 },
      { ...json, cases: [{ ...report.cases[0], outcome: 'exploded' }] },
      { ...json, counts: { ...report.counts, total: -1 } },
    ]) {
      expect(validate(broken)).to.equal(false);
    }
  });
});
