import path from 'node:path';
import { expect } from 'chai';
import { runCli } from '../support/cli.js';
import { ROOT, fixture } from '../support/paths.js';

describe('berth layout', () => {
  const sample = path.join(ROOT, 'sample-machine', 'machine.yaml');

  it('prints both trees of the sample machine', async () => {
    const r = await runCli(['layout', sample]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^\/envoyai\/input\/$/m);
    expect(r.stdout).to.match(/^\/envoyai\/output\/$/m);
    expect(r.stdout).to.match(/ct\/\s+dicom-series/);
    expect(r.stdout).to.match(/<SOPInstanceUID>\.dcm/);
    expect(r.stdout).to.match(/patient-age\s+integer\s+\(optional\)/);
    expect(r.stdout).to.match(/<i>\/\s+object/);
  });

  it('accepts a machine directory like run does: the same trees as its machine.yaml', async () => {
    const fromDir = await runCli(['layout', path.join(ROOT, 'sample-machine')]);
    const fromFile = await runCli(['layout', sample]);
    expect(fromDir.code, fromDir.stderr).to.equal(0);
    expect(fromDir.stdout).to.equal(fromFile.stdout);
  });

  it('--json lists entries with array indices and DICOM patterns', async () => {
    const r = await runCli(['layout', '--json', '--side', 'out', sample]);
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as {
      out: { root: string; entries: { path: string; type: string; holds: string; optional: boolean }[] };
    };
    expect(out.out.root).to.equal('/envoyai/output');
    const paths = out.out.entries.map((e) => e.path);
    expect(paths).to.include.members([
      'nodule-found',
      'measurements/',
      'measurements/<i>/',
      'measurements/<i>/slice',
      'mask.npy',
    ]);
    expect(out.out.entries.find((e) => e.path === 'measurements/<i>/slice')?.optional).to.equal(true);
    expect(out.out.entries.find((e) => e.path === 'mask.npy')?.holds).to.equal('ndarray(uint8, [*, *, *])');
  });

  it('lays out a study as SeriesInstanceUID/SOPInstanceUID', async () => {
    const r = await runCli([
      'layout',
      '--json',
      '--side',
      'in',
      fixture('manifests', 'valid-row-dicom-study.yaml'),
    ]);
    const out = JSON.parse(r.stdout) as { in: { entries: { path: string }[] } };
    expect(out.in.entries.map((e) => e.path)).to.deep.equal([
      'test-dicom-study/',
      'test-dicom-study/<SeriesInstanceUID>/<SOPInstanceUID>.dcm',
    ]);
  });

  it('refuses a wrong --side with exit 2 and a manifest with errors with exit 1', async () => {
    expect((await runCli(['layout', '--side', 'sideways', sample])).code).to.equal(2);
    expect((await runCli(['layout', fixture('manifests', 'invalid-several.yaml')])).code).to.equal(1);
  });
});
