/** `berth deid` and `berth reid` as users run them (the bundled CLI). */
import { expect } from 'chai';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeStudy } from '../../src/dicom/synth.js';
import { hasStackTrace, runCli } from '../support/cli.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('cli deid / reid', function () {
  this.timeout(30_000);
  let dir: string;
  before(async () => {
    dir = await tempDir('cli-deid');
    await writeStudy(join(dir, 'in'), { seed: 'cli', series: ['CT'], instances: 2, patientId: 'MRN-3141' });
  });
  after(() => removeDir(dir));

  it('de-identifies a study, writes a private map, and re-identifies after a leak check', async () => {
    const env = { BERTH_DEID_SECRET: 'cli-test-secret-0123456789' };
    const d = await runCli(['deid', join(dir, 'in'), '--out', join(dir, 'out'), '--json'], { env });
    expect(d.code, d.stderr).to.equal(0);
    const report = JSON.parse(d.stdout) as { map: string; written: unknown[] };
    expect(report.written).to.have.length(2);
    expect((await stat(report.map)).mode & 0o077).to.equal(0);
    const series = (await readdir(join(dir, 'out')))[0]!;
    await writeFile(join(dir, 'out', 'note.txt'), 'patient MRN-3141');
    const r = await runCli(['reid', join(dir, 'out'), '--map', report.map, '--out', join(dir, 'back')]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include('BERTH_E_PHI_LEAK').and.include('PatientID').and.not.include('MRN-3141');
    const original = (await readdir(join(dir, 'back'))).filter((n) => n !== 'note.txt');
    expect(original).to.have.length(1).and.not.include(series);
    const files = await readdir(join(dir, 'back', original[0]!));
    expect((await readFile(join(dir, 'back', original[0]!, files[0]!))).includes('MRN-3141')).to.equal(true);
  });

  it('refuses an output folder that is not empty and a secret that is too short, without a stack trace', async () => {
    const busy = await runCli(['deid', join(dir, 'in'), '--out', join(dir, 'in')]);
    expect(busy.code).to.equal(2);
    expect(busy.stderr).to.include('BERTH_E_OUT_NOT_EMPTY');
    const short = await runCli(['deid', join(dir, 'in'), '--out', join(dir, 'o2')], {
      env: { BERTH_DEID_SECRET: 'short' },
    });
    expect(short.code).to.equal(2);
    expect(short.stderr).to.include('BERTH_E_DEID_MAP');
    expect(hasStackTrace(busy.stderr + short.stderr)).to.equal(false);
  });
});
