import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';
import type { BatchReport } from '../../src/batch/aggregate.js';
import { CLI, hasStackTrace, runCli, type CliResult } from '../support/cli.js';
import { makeCases, makeMachine, runs } from '../support/tiny-machine.js';
import { ROOT } from '../support/paths.js';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Runs `berth batch …` and sends SIGINT each time `when(stdout)` first holds for the next
 * signal; killed after `timeoutMs`.
 */
function batchWithSignals(
  args: string[],
  triggers: ((out: string) => boolean)[],
  timeoutMs: number,
): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'batch', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const pending = [...triggers];
    const check = (): void => {
      while (pending.length > 0 && pending[0]!(stdout)) {
        pending.shift();
        child.kill('SIGINT');
      }
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      check();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const poll = setInterval(check, 100);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function finishedLines(out: string): number {
  return (out.match(/\[\d+\/\d+\]$/gm) ?? []).length;
}

function readReport(out: string): BatchReport {
  return JSON.parse(readFileSync(path.join(out, 'batch.json'), 'utf8')) as BatchReport;
}

function stagingLeft(out: string): string[] {
  return readdirSync(out).filter((n) => n.startsWith('.tmp-'));
}

describe('berth batch', function () {
  this.timeout(150_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cli-batch-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('200 cases at concurrency 2, stopped by SIGINT halfway, then --resume: no finished case runs again, the report counts 200', async () => {
    const machine = path.join(dir, 'm200');
    const cases = path.join(dir, 'cases200');
    const out = path.join(dir, 'out200');
    makeMachine(machine);
    makeCases(cases, 200, (i) => i % 20 === 7);
    const args = [machine, '--cases', cases, '--out', out, '--concurrency', '2'];

    const first = await batchWithSignals(args, [(s) => finishedLines(s) >= 100], 120_000);
    expect(first.code, first.stdout.slice(-2000) + first.stderr).to.equal(130);
    expect(first.stdout).to.include('stopping');
    const partial = readReport(out);
    expect(partial.interrupted).to.equal(true);
    expect(partial.counts.total).to.equal(200);
    expect(partial.counts.finished).to.be.within(100, 199);
    expect(partial.counts.finished + partial.counts.pending).to.equal(200);
    // The running cases finished: every case that ran is committed with its marker, none is half-written.
    expect(runs(machine)).to.have.length(partial.counts.finished);
    expect(stagingLeft(out)).to.deep.equal([]);
    const caseDirs = readdirSync(out).filter((n) => n.startsWith('c'));
    const missing = partial.cases.filter((c) => c.outcome !== 'pending' && !caseDirs.includes(c.id));
    expect(missing, JSON.stringify([missing, readdirSync(out)])).to.deep.equal([]);
    for (const id of caseDirs) {
      expect(readdirSync(path.join(out, id)).sort()).to.deep.equal([
        '.complete',
        'logs',
        'output',
        'report.html',
        'report.json',
      ]);
    }

    const second = await runCli(['batch', ...args, '--resume'], { timeoutMs: 120_000 });
    // 10 cases expect another score: the batch ends with findings (exit 1), not interrupted.
    expect(second.code, second.stdout.slice(-2000) + second.stderr).to.equal(1);
    const all = runs(machine);
    expect(all).to.have.length(200);
    expect(new Set(all).size).to.equal(200);
    const report = readReport(out);
    expect(report.interrupted).to.equal(false);
    expect(report.counts).to.deep.include({ total: 200, finished: 200, pending: 0 });
    expect(report.counts.outcomes).to.deep.include({ passed: 190, 'failed-compare': 10, error: 0 });
    expect(report.cases[0]!.outcome).to.equal('failed-compare');
    const score = report.comparisons.find((p) => p.property === 'schema-out/score')!;
    expect(score).to.deep.include({ compared: 200, passed: 190, failed: 10 });
    expect(score.metrics['absDiff']!.max).to.be.closeTo(0.5, 1e-9);
    expect(second.stdout).to.include('190 passed, 10 failed, 0 pending of 200');

    const schema = JSON.parse(
      readFileSync(path.join(ROOT, 'schemas', 'batch.schema.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).to.equal(true);
    expect(readFileSync(path.join(out, 'batch.html'), 'utf8')).to.include('href="c007/report.html"');
  });

  it('a second SIGINT kills the running machines and leaves no case folder, staging folder or marker of theirs', async () => {
    const machine = path.join(dir, 'slow');
    const cases = path.join(dir, 'cases-slow');
    const out = path.join(dir, 'out-slow');
    // Machines that sleep past the 60 s limit below: exit 130 means they were killed, not waited for.
    makeMachine(machine, 120);
    makeCases(cases, 4);
    // Signals sent at once may arrive as one: the second waits for the first to be seen.
    const r = await batchWithSignals(
      [machine, '--cases', cases, '--out', out, '--concurrency', '2'],
      [() => runs(machine).length >= 2, (s) => s.includes('stopping')],
      60_000,
    );
    expect(r.code, r.stdout + r.stderr).to.equal(130);
    expect(r.stdout).to.include('killing the running cases');
    expect(readdirSync(out).sort()).to.deep.equal(['batch.html', 'batch.json']);
    expect(readReport(out).counts).to.deep.include({ total: 4, finished: 0, pending: 4 });
  });

  it('refuses a used --out without --resume, duplicate case ids, a bad --concurrency, an --out that is a file and --baseline into s3:// with exit 2 and a code', async () => {
    const machine = path.join(dir, 'm-small');
    const cases = path.join(dir, 'cases-small');
    const out = path.join(dir, 'out-small');
    makeMachine(machine);
    makeCases(cases, 2);
    expect((await runCli(['batch', machine, '--cases', cases, '--out', out])).code).to.equal(0);
    const again = await runCli(['batch', machine, '--cases', cases, '--out', out]);
    expect(again.code).to.equal(2);
    expect(again.stderr).to.include('BERTH_E_USAGE').and.include('--resume');
    mkdirSync(path.join(cases, 'c000'));
    const dup = await runCli(['batch', machine, '--cases', cases, '--out', path.join(dir, 'o2')]);
    expect(dup.code).to.equal(2);
    expect(dup.stderr).to.include('BERTH_E_BATCH_CASES');
    const conc = await runCli([
      'batch',
      machine,
      '--cases',
      cases,
      '--out',
      path.join(dir, 'o3'),
      '--concurrency',
      '0',
    ]);
    expect(conc.code).to.equal(2);
    expect(conc.stderr).to.include('BERTH_E_USAGE');
    const one = path.join(dir, 'cases-one');
    makeCases(one, 1);
    const file = path.join(dir, 'a-file');
    writeFileSync(file, '');
    const notFolder = await runCli(['batch', machine, '--cases', one, '--out', file]);
    expect(notFolder.code).to.equal(2);
    expect(notFolder.stderr).to.match(/BERTH_E_USAGE: --out is not a folder \(.*a-file\); expected a folder/);
    const s3 = await runCli(
      ['batch', machine, '--cases', one, '--out', 's3://bucket/p', '--baseline', machine],
      {
        env: { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', BERTH_S3_ENDPOINT: 'http://127.0.0.1:1' },
      },
    );
    expect(s3.code).to.equal(2);
    expect(s3.stderr).to.match(/BERTH_E_USAGE: --baseline compares outputs in a local --out folder/);
    for (const r of [again, dup, conc, notFolder, s3]) expect(hasStackTrace(r.stderr)).to.equal(false);
  });

  it('runs a list file of cases, recording a case berth cannot read as an error without stopping the others', async () => {
    const machine = path.join(dir, 'm-list');
    const data = path.join(dir, 'data');
    const out = path.join(dir, 'out-list');
    makeMachine(machine);
    makeCases(data, 1);
    writeFileSync(path.join(data, 'broken.yaml'), 'inputs: [not, a, mapping]\n');
    writeFileSync(path.join(dir, 'list.txt'), '# two cases\ndata/broken.yaml\ndata/c000.yaml\n');
    const r = await runCli(['batch', machine, '--cases', path.join(dir, 'list.txt'), '--out', out]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    const report = readReport(out);
    expect(report.counts.outcomes).to.deep.include({ passed: 1, error: 1 });
    const broken = report.cases.find((c) => c.id === 'broken')!;
    expect(broken.outcome).to.equal('error');
    expect(broken.reason).to.match(/^BERTH_E_CASE_FORMAT/);
    expect(readdirSync(path.join(out, 'broken'))).to.deep.equal(['.complete']);
    // The case's own report names where its files are once committed, not the staging folder.
    const page = readFileSync(path.join(out, 'c000', 'report.html'), 'utf8');
    expect(page).to.include(path.join(out, 'c000', 'report.json'));
    expect(page).not.to.include('.tmp-');
  });

  it("counts a case that ends as its case file expects as passed, as berth test does (the sample machine's not-applicable case)", async () => {
    const out = path.join(dir, 'out-sample');
    const cases = path.join(ROOT, 'sample-machine', 'cases');
    const r = await runCli(['batch', path.join(ROOT, 'sample-machine'), '--cases', cases, '--out', out]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const report = readReport(out);
    expect(report.counts).to.deep.include({ finished: 3, passed: 3 });
    expect(report.counts.outcomes).to.deep.include({ passed: 2, 'not-applicable': 1 });
    const wrong = report.cases.find((c) => c.id === 'wrong-modality')!;
    expect([wrong.outcome, wrong.expected]).to.deep.equal(['not-applicable', 'not-applicable']);
    expect(r.stdout).to.match(/^ok +wrong-modality: not-applicable/m);
  });
});
