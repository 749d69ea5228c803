import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { writeSeries } from '../../src/dicom/synth.js';
import { hasStackTrace, runCli } from '../support/cli.js';
import { ROOT } from '../support/paths.js';

const SAMPLE = path.join(ROOT, 'sample-machine');

describe('berth run and berth test', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cli-run-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the sample machine on its normal case and writes both reports', async () => {
    const json = path.join(dir, 'r', 'run.json');
    const html = path.join(dir, 'r', 'run.html');
    const r = await runCli([
      'run',
      SAMPLE,
      '--case',
      path.join(SAMPLE, 'cases', 'normal'),
      '--report',
      json,
      '--report',
      html,
    ]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.include('PASSED');
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      outcome: string;
      exitCode: number;
      usage: { wallMs: number };
    };
    expect(report.outcome).to.equal('passed');
    expect(report.usage.wallMs).to.be.greaterThan(0);
    expect(readFileSync(html, 'utf8')).to.match(/^<!DOCTYPE html>/i);
  });

  it('berth test runs every sample case and ends with N passed, N failed', async () => {
    const r = await runCli(['test', SAMPLE]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/ok\s+normal: passed/);
    expect(r.stdout).to.match(/ok\s+wrong-modality: not-applicable/);
    expect(r.stdout).to.match(/ok\s+within-tolerance: passed/);
    expect(r.stdout.trim().split('\n').pop()).to.equal('3 passed, 0 failed');
  });

  it('exits with the outcome code: not-applicable is 15', async () => {
    const r = await runCli(['run', SAMPLE, '--case', path.join(SAMPLE, 'cases', 'wrong-modality')]);
    expect(r.code).to.equal(15);
    expect(r.stdout).to.include('BERTH_E_DICOM_MODALITY');
  });

  it('--update writes the actual outputs as expected/, and the next run compares against them', async () => {
    const caseDir = path.join(dir, 'update-case');
    cpSync(path.join(SAMPLE, 'cases', 'normal'), caseDir, { recursive: true });
    const first = await runCli(['run', SAMPLE, '--case', caseDir, '--update']);
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    expect(existsSync(path.join(caseDir, 'expected', 'nodule-count'))).to.equal(true);
    const second = await runCli(['run', SAMPLE, '--case', caseDir, '--json']);
    const report = JSON.parse(second.stdout) as { outcome: string; comparisons: { passed: boolean }[] };
    expect(report.outcome).to.equal('passed');
    expect(report.comparisons.length).to.be.greaterThan(5);
    // A changed expectation now fails the comparison, with its own exit code.
    writeFileSync(path.join(caseDir, 'expected', 'nodule-count'), '99');
    const third = await runCli(['run', SAMPLE, '--case', caseDir]);
    expect(third.code).to.equal(10);
    expect(third.stdout).to.include('nodule-count');
  });

  it('refuses bad usage and missing pieces with exit 2 and a code, never a stack trace', async () => {
    const cases = [
      ['run', SAMPLE, '--case', path.join(dir, 'nope')],
      ['run', path.join(dir, 'no-machine'), '--case', path.join(SAMPLE, 'cases', 'normal')],
      ['run', SAMPLE, '--case', path.join(SAMPLE, 'cases', 'normal'), '--driver', 'teleport'],
      ['run', SAMPLE, '--case', path.join(SAMPLE, 'cases', 'normal'), '--timeout', 'soon'],
      ['run', SAMPLE, '--case', path.join(SAMPLE, 'cases', 'normal'), '--driver', 'container'],
    ];
    for (const args of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr).to.match(/BERTH_E_[A-Z_]+/);
      expect(hasStackTrace(r.stderr)).to.equal(false);
    }
  });

  it('runs a machine with --cmd and --timeout, and reports the timeout as exit 13', async () => {
    const r = await runCli([
      'run',
      SAMPLE,
      '--case',
      path.join(SAMPLE, 'cases', 'normal'),
      '--cmd',
      `${process.execPath} -e "setTimeout(() => {}, 60000)"`,
      '--timeout',
      '1s',
    ]);
    expect(r.code).to.equal(13);
    expect(r.stdout).to.include('TIMEOUT');
  });

  it('skips a byte-identical duplicate file of a {dicom: folder} case with a notice, and still passes', async () => {
    const caseDir = path.join(dir, 'duplicate-case');
    const series = path.join(caseDir, 'series');
    const written = await writeSeries(series, { seed: 'dup', instances: 6, rows: 32, columns: 32 });
    cpSync(written.files[0]!.path, path.join(series, 'copy.dcm'));
    writeFileSync(
      path.join(caseDir, 'case.yaml'),
      'inputs:\n  ct: { dicom: series }\n  threshold-hu: 300\n  priority: routine\n',
    );
    const json = path.join(dir, 'dup', 'run.json');
    const r = await runCli(['run', SAMPLE, '--case', caseDir, '--report', json]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.include('ct: skipped a byte-identical duplicate');
    const report = JSON.parse(readFileSync(json, 'utf8')) as { notices: string[] };
    expect(report.notices.find((n) => n.includes('byte-identical'))).to.match(
      /^ct: skipped a byte-identical duplicate, (copy\.dcm|[0-9.]+\.dcm) \(same bytes as [^)]+\), as berth sort does$/,
    );
  });
});
