/**
 * `berth run --deidentify` on the command line: where the secret comes from (a file, the
 * environment, else generated per run), a short secret refused before anything runs, the secret
 * never printed, and the report's de-identification section.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSeries } from '../../src/dicom/synth.js';
import type { RunReport } from '../../src/harness/types.js';
import { hasStackTrace, runCli } from '../support/cli.js';
import { SYSTEM_PYTHON } from '../support/python.js';

const SECRET = 'the file secret of this test, 32';

describe('cli: berth run --deidentify', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cli-deid-'));
    await writeSeries(path.join(dir, 'series'), {
      seed: 21,
      instances: 1,
      rows: 16,
      columns: 16,
      patientId: 'MRN-CLI-1',
    });
    writeFileSync(
      path.join(dir, 'machine.py'),
      [
        'import os, pydicom',
        "d = os.path.join(os.environ['BERTH_INPUT'], 'ct')",
        'ds = pydicom.dcmread(os.path.join(d, sorted(os.listdir(d))[0]))',
        "open(os.path.join(os.environ['BERTH_OUTPUT'], 'seen'), 'w').write(ds.PatientID)",
      ].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'machine.yaml'),
      [
        'metadata-version: 2',
        'info: {name: cli-deid}',
        'schema-in:',
        '  ct: {dicom-type: dicom-series}',
        'schema-out:',
        '  seen: {type: string}',
        'timeout: 1',
        'berth:',
        `  command: [${SYSTEM_PYTHON}, machine.py]`,
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'case.yaml'), 'inputs:\n  ct: {dicom: series}\n');
    writeFileSync(path.join(dir, 'secret'), SECRET);
    writeFileSync(path.join(dir, 'short'), 'too short');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function run(name: string, extra: string[], env: NodeJS.ProcessEnv = {}) {
    const out = path.join(dir, `${name}-out`);
    const json = path.join(dir, `${name}.json`);
    const r = await runCli(
      [
        'run',
        dir,
        '--case',
        path.join(dir, 'case.yaml'),
        '--deidentify',
        '--out',
        out,
        '--report',
        json,
        ...extra,
      ],
      { env: { BERTH_DEID_SECRET: '', ...env }, timeoutMs: 30_000 },
    );
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/\n {2}deid {4}1 instance\(s\) de-identified/);
    expect(r.stdout + r.stderr).to.not.include(SECRET);
    const report = JSON.parse(readFileSync(json, 'utf8')) as RunReport;
    expect(JSON.stringify(report)).to.not.include(SECRET);
    return { seen: readFileSync(path.join(out, 'seen'), 'utf8'), report };
  }

  it('takes the secret from --deid-secret-file, else $BERTH_DEID_SECRET, else a generated one, and never prints it', async () => {
    const a = await run('file-a', ['--deid-secret-file', path.join(dir, 'secret')]);
    const b = await run('file-b', ['--deid-secret-file', path.join(dir, 'secret')]);
    const env = await run('env', [], { BERTH_DEID_SECRET: SECRET });
    const generated = await run('generated', []);
    expect(a.seen).to.match(/^P[0-9A-F]{15}$/);
    expect(b.seen, 'the same secret, the same pseudonym').to.equal(a.seen);
    expect(env.seen, 'the same secret from the environment').to.equal(a.seen);
    expect(generated.seen)
      .to.match(/^P[0-9A-F]{15}$/)
      .and.not.equal(a.seen);
    expect([a, env, generated].map((r) => r.report.deidentification!.secret)).to.deep.equal([
      'file',
      'environment',
      'generated',
    ]);
  });

  it('refuses a secret shorter than 16 bytes before anything runs (exit 2, BERTH_E_DEID_MAP)', async () => {
    const out = path.join(dir, 'short-out');
    const r = await runCli(
      [
        'run',
        dir,
        '--case',
        path.join(dir, 'case.yaml'),
        '--deidentify',
        '--deid-secret-file',
        path.join(dir, 'short'),
        '--out',
        out,
      ],
      { timeoutMs: 30_000 },
    );
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('BERTH_E_DEID_MAP').and.include('at least 16 bytes');
    expect(hasStackTrace(r.stderr)).to.equal(false);
  });
});
