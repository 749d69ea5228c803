import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BatchReport } from '../../src/batch/aggregate.js';
import { renderBatchHtml } from '../../src/batch/report-html.js';
import { runCli } from '../support/cli.js';
import { ROOT } from '../support/paths.js';
import { makeMachine } from '../support/tiny-machine.js';
import { sampleBatch, XSS_ID } from './fixture.js';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const SAMPLE = path.join(ROOT, 'sample-machine');
const PRIORITIES = ['routine', 'urgent', 'routine', 'urgent', 'routine', 'routine'];

describe('batch/baseline: berth batch --baseline', function () {
  this.timeout(240_000);
  let dir: string;
  let caseDir: string;

  before(async () => {
    // Under the package root (a gitignored scratch name), so the copy's `import 'berth'` resolves.
    dir = await mkdtemp(path.join(ROOT, 'scratch-baseline-'));
    caseDir = await cases();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The sample machine, changed to shout the priority of urgent cases only in its summary. */
  async function changedCopy(): Promise<string> {
    const copy = path.join(dir, 'machine');
    await mkdir(copy);
    await cp(path.join(SAMPLE, 'machine.yaml'), path.join(copy, 'machine.yaml'));
    await cp(path.join(SAMPLE, 'dist'), path.join(copy, 'dist'), { recursive: true });
    const main = path.join(copy, 'dist', 'main.js');
    const code = await readFile(main, 'utf8');
    const changed = code.replace(
      '(${priority} priority)',
      "(${priority === 'urgent' ? 'URGENT' : priority} priority)",
    );
    expect(changed, 'the sample machine writes its summary as this test expects').to.not.equal(code);
    await writeFile(main, changed);
    return copy;
  }

  async function cases(): Promise<string> {
    const folder = path.join(dir, 'cases');
    await mkdir(folder);
    for (const [i, priority] of PRIORITIES.entries()) {
      await writeFile(
        path.join(folder, `case-${i}.yaml`),
        `inputs:\n  ct: { synth: { seed: ${i + 1}, instances: 3, rows: 16, columns: 16 } }\n` +
          `  threshold-hu: 300\n  priority: ${priority}\n`,
      );
    }
    return folder;
  }

  it('lists exactly the cases whose outputs changed from the baseline, per property, and exits 1', async () => {
    if (!(await readFile(path.join(SAMPLE, 'dist', 'main.js'), 'utf8').catch(() => undefined)))
      throw new Error('run npm run build first: the sample machine is built by it');
    const machine = await changedCopy();
    const out = path.join(dir, 'out');
    const r = await runCli(
      ['batch', machine, '--cases', caseDir, '--out', out, '--baseline', SAMPLE, '--concurrency', '2'],
      { timeoutMs: 200_000 },
    );
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(r.stdout).to.contain('6 passed, 0 failed').and.to.contain('2 of 6 changed from the baseline');

    const report = JSON.parse(await readFile(path.join(out, 'batch.json'), 'utf8')) as BatchReport;
    const baseline = report.baseline!;
    expect(baseline.compared).to.equal(6);
    expect(baseline.notCompared).to.deep.equal([]);
    expect(baseline.changed.map((c) => c.id)).to.deep.equal(['case-1', 'case-3']);
    for (const c of baseline.changed) {
      expect(c.differences.map((d) => [d.path, d.method])).to.deep.equal([['summary', 'exact']]);
    }
    expect(baseline.machine).to.equal(path.join(SAMPLE, 'machine.yaml'));
    // The baseline ran as a batch of its own, with its own report.
    const own = JSON.parse(await readFile(path.join(out, '.baseline', 'batch.json'), 'utf8')) as BatchReport;
    expect(own.counts.finished).to.equal(6);

    const schema = JSON.parse(
      await readFile(path.join(ROOT, 'schemas', 'batch.schema.json'), 'utf8'),
    ) as object;
    const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
    const valid = ajv.validate(schema, report);
    expect(valid, JSON.stringify(ajv.errors)).to.equal(true);
    const page = await readFile(path.join(out, 'batch.html'), 'utf8');
    expect(page).to.contain('Changed from the baseline').and.to.contain('case-3');
  });

  it('compares nothing as changed when the baseline is the same machine', async () => {
    const out = path.join(dir, 'same');
    const r = await runCli(['batch', SAMPLE, '--cases', caseDir, '--out', out, '--baseline', SAMPLE], {
      timeoutMs: 200_000,
    });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const report = JSON.parse(await readFile(path.join(out, 'batch.json'), 'utf8')) as BatchReport;
    expect(report.baseline!.compared).to.equal(6);
    expect(report.baseline!.changed).to.deep.equal([]);
  });

  /** The tiny machine: writes score 0.4, and a note for the cases whose value is in `noteFor`. */
  function shellMachine(name: string, noteFor: string[]): string {
    const folder = path.join(dir, name);
    makeMachine(folder, 0, noteFor);
    return folder;
  }

  it('lists an output the new machine writes and the baseline did not, and one it no longer writes', async () => {
    const shellCases = path.join(dir, 'shell-cases');
    await mkdir(shellCases);
    for (const v of ['a', 'b', 'c', 'd'])
      await writeFile(path.join(shellCases, `${v}.yaml`), `inputs: {value: ${v}}\n`);
    const old = shellMachine('old', ['c']);
    const next = shellMachine('new', ['b']);
    const out = path.join(dir, 'shell-out');
    const r = await runCli(['batch', next, '--cases', shellCases, '--out', out, '--baseline', old]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    const report = JSON.parse(await readFile(path.join(out, 'batch.json'), 'utf8')) as BatchReport;
    expect(report.baseline!.compared).to.equal(4);
    expect(
      report.baseline!.changed.map((c) => [c.id, c.differences.map((d) => [d.path, d.method])]),
    ).to.deep.equal([
      ['b', [['note', 'presence']]],
      ['c', [['note', 'presence']]],
    ]);
    expect(report.baseline!.changed[0]!.differences[0]!.message).to.equal('written by the new machine only');
  });
});

describe('batch/report-html: the baseline section', () => {
  it('lists each changed property of each changed case, escaped, linking to the case and the baseline report', () => {
    const report: BatchReport = {
      ...sampleBatch().report,
      baseline: {
        machine: '/m/old/machine.yaml',
        driver: 'process',
        report: '.baseline/batch.html',
        compared: 9,
        notCompared: [{ id: 'broken', reason: 'neither run wrote outputs' }],
        changed: [
          {
            id: XSS_ID,
            differences: [
              { property: 'schema-out/summary', path: 'summary', method: 'exact', message: '<b>x</b> ≠ y' },
            ],
          },
        ],
      },
    };
    const page = renderBatchHtml(report);
    expect(page).to.include('Changed from the baseline').and.to.include('1 of 9 compared');
    expect(page).to.include('href=".baseline/batch.html"').and.to.include('1 case(s) not compared');
    expect(page).not.to.include(XSS_ID).and.not.to.include('<b>x</b>');
    expect(page).to.include('&lt;b&gt;x&lt;/b&gt; ≠ y');
    expect(page).to.include(`href="${encodeURIComponent(XSS_ID).replace(/'/g, '&#39;')}/report.html"`);
    expect(renderBatchHtml(sampleBatch().report)).not.to.include('Changed from the baseline');
  });
});
