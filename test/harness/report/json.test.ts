import { expect } from 'chai';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { CATALOGUE } from '../../../src/errors.js';
import { OUTCOMES } from '../../../src/harness/outcome.js';
import { reportToJson, writeJsonReport } from '../../../src/harness/report/json.js';
import type { RunReport } from '../../../src/harness/types.js';
import { ROOT } from '../../support/paths.js';
import { makeReportFixture, type ReportFixture } from './fixture.js';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type JsonSchema = {
  definitions: Record<string, { enum?: string[]; properties?: Record<string, { pattern?: string }> }>;
};

/** A run that never started: the inputs were broken. */
function invalidInputReport(): RunReport {
  return {
    schema: 'berth-run-report/1',
    berthVersion: '0.1.0',
    machine: { name: 'm', manifest: '/m/machine.yaml', dir: '/m' },
    case: { name: 'c', path: '/m/cases/c.yaml' },
    driver: 'container',
    image: 'registry.local/m:1',
    command: [],
    outcome: 'invalid-input',
    exitCode: 16,
    reason: 'the input ct is not DICOM',
    startedAt: '2024-05-01T09:30:00Z',
    timeoutMs: 60_000,
    usage: null,
    process: null,
    status: { progress: null, warnings: [], error: null },
    stdout: null,
    stderr: null,
    inputFindings: [
      { code: 'BERTH_E_NOT_PART10', severity: 'error', message: 'not DICOM', path: '/x/ct/a.dcm', line: 3 },
    ],
    outputFindings: [],
    comparisons: [],
    notices: [],
  };
}

describe('harness/report/json', () => {
  let validate: ValidateFunction;
  let schema: JsonSchema;
  let fixture: ReportFixture;
  let dir: string;

  before(async () => {
    schema = JSON.parse(
      await readFile(path.join(ROOT, 'schemas', 'report.schema.json'), 'utf8'),
    ) as JsonSchema;
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    validate = ajv.compile(schema);
    fixture = await makeReportFixture();
    dir = await mkdtemp(path.join(tmpdir(), 'berth-json-report-'));
  });
  after(async () => {
    await fixture?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the report atomically as indented JSON that reads back equal', async () => {
    const file = path.join(dir, 'nested', 'run.json');
    await writeJsonReport(fixture.report, file);
    const text = await readFile(file, 'utf8');
    expect(text).to.equal(reportToJson(fixture.report));
    expect(text.endsWith('\n')).to.equal(true);
    expect(JSON.parse(text)).to.deep.equal(fixture.report);
    // Overwriting leaves no temporary file behind.
    await writeJsonReport(invalidInputReport(), file);
    expect(await readdir(path.dirname(file))).to.deep.equal(['run.json']);
  });

  it('validates real reports (a failed comparison, a run that never started) against the schema', async () => {
    for (const report of [fixture.report, invalidInputReport()]) {
      const file = path.join(dir, `${report.outcome}.json`);
      await writeJsonReport(report, file);
      const ok = validate(JSON.parse(await readFile(file, 'utf8')));
      expect(ok, JSON.stringify(validate.errors, null, 2)).to.equal(true);
    }
  });

  it('validates a report whose status lists refused status files (status.findings)', () => {
    const report = {
      ...fixture.report,
      status: {
        progress: null,
        warnings: [],
        error: null,
        findings: [
          {
            code: 'BERTH_E_TREE_SYMLINK',
            severity: 'warning',
            message: 'The entry is a symbolic link, which berth does not follow here',
            path: '/run/status/warn',
          },
        ],
      },
    };
    const ok = validate(JSON.parse(JSON.stringify(report)));
    expect(ok, JSON.stringify(validate.errors, null, 2)).to.equal(true);
  });

  it('accepts where the run folder was and where --out copied the outputs, and nothing else there', () => {
    const located = {
      ...fixture.report,
      runFolder: { path: '/tmp/berth-run-x', kept: false },
      outputsCopiedTo: '/o',
    };
    expect(validate(located), JSON.stringify(validate.errors)).to.equal(true);
    expect(validate({ ...located, runFolder: { path: '/tmp/x' } })).to.equal(false);
    expect(validate({ ...located, runFolder: { path: '/tmp/x', kept: true, extra: 1 } })).to.equal(false);
  });

  it('lists exactly the outcomes of src/harness/outcome.ts and accepts every catalogue code', () => {
    expect(schema.definitions['outcome']!.enum).to.have.members(Object.keys(OUTCOMES));
    const pattern = new RegExp(schema.definitions['finding']!.properties!['code']!.pattern!);
    for (const code of Object.keys(CATALOGUE)) expect(code).to.match(pattern);
  });

  it('rejects reports that break the shape: unknown outcome, extra key, missing field, wrong types', () => {
    const base = invalidInputReport();
    const broken: unknown[] = [
      { ...base, outcome: 'exploded' },
      { ...base, surprise: true },
      (({ reason: _reason, ...rest }) => rest)(base),
      { ...base, usage: { wallMs: '12', cpuMs: null, peakRssBytes: null } },
      { ...base, schema: 'berth-run-report/2' },
      { ...base, startedAt: 'yesterday' },
      { ...base, inputFindings: [{ code: 'NOT_A_CODE', severity: 'error', message: 'x' }] },
      {
        ...base,
        comparisons: [
          { path: 'a', property: 'schema-out/a', kind: 'number', method: 'guess', passed: false },
        ],
      },
      { ...base, stdout: { file: 'x', totalBytes: -1, droppedBytes: 0, tail: '' } },
    ];
    for (const report of broken) expect(validate(report), JSON.stringify(report)).to.equal(false);
  });
});
