import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { scanHeaderSync } from '../../src/dicom/scan.js';
import { removeDir, tempDir } from '../support/temp.js';
import { hasStackTrace, runCli } from '../support/cli.js';
import { ROOT, fixture } from '../support/paths.js';

describe('berth synth', () => {
  const sample = path.join(ROOT, 'sample-machine', 'machine.yaml');
  let dir: string;
  before(async () => {
    dir = await tempDir('cli-synth');
  });
  after(() => removeDir(dir));

  it('writes a valid input tree for the sample machine, and berth validate agrees', async () => {
    const out = path.join(dir, 'in');
    const r = await runCli(['synth', sample, '--out', out, '--seed', '5'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/wrote \d+ file\(s\) for schema-in \(seed 5\); valid/);
    const v = await runCli(['validate', sample, '--inputs', out], { timeoutMs: 30_000 });
    expect(v.code, v.stdout + v.stderr).to.equal(0);
  });

  it('--side out --json lists the files and no findings', async () => {
    const out = path.join(dir, 'out');
    const r = await runCli(['synth', sample, '--out', out, '--side', 'out', '--json'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).to.equal(0);
    const json = JSON.parse(r.stdout) as { ok: boolean; side: string; files: string[]; findings: unknown[] };
    expect(json).to.include({ ok: true, side: 'out' });
    expect(json.findings).to.deep.equal([]);
    expect(json.files).to.include.members([
      'mask.npy',
      'preview.png',
      'nodule-found',
      'measurements/0/slice',
    ]);
  });

  it('is deterministic across runs for one seed', async () => {
    const a = await runCli([
      'synth',
      fixture('manifests', 'valid-row-dicom-study.yaml'),
      '--out',
      path.join(dir, 'a'),
      '--json',
    ]);
    const b = await runCli([
      'synth',
      fixture('manifests', 'valid-row-dicom-study.yaml'),
      '--out',
      path.join(dir, 'b'),
      '--json',
    ]);
    expect(a.code, a.stderr).to.equal(0);
    expect((JSON.parse(a.stdout) as { files: string[] }).files).to.deep.equal(
      (JSON.parse(b.stdout) as { files: string[] }).files,
    );
  });

  it('exits 2 without a stack trace for a non-empty --out, a bad --side, an invalid manifest or something it cannot make', async () => {
    const full = path.join(dir, 'full');
    await mkdir(full, { recursive: true });
    await writeFile(path.join(full, 'x'), 'x');
    const unmakeable = path.join(dir, 'jpeg-only.yaml');
    await writeFile(
      unmakeable,
      "metadata-version: 2\ninfo: {name: x}\nschema-in:\n  s: {dicom-type: dicom-series, transfer-syntax-uid: ['1.2.840.10008.1.2.4.50']}\nschema-out: {o: {type: boolean}}\n",
    );
    const runs = [
      { args: ['synth', sample, '--out', full], code: 'BERTH_E_OUT_NOT_EMPTY' },
      { args: ['synth', sample, '--out', path.join(dir, 'x1'), '--side', 'both'], code: 'BERTH_E_USAGE' },
      {
        args: ['synth', fixture('manifests', 'invalid-enum-empty.yaml'), '--out', path.join(dir, 'x2')],
        code: 'BERTH_E_',
      },
      { args: ['synth', unmakeable, '--out', path.join(dir, 'x3')], code: 'BERTH_E_SYNTH_UNSUPPORTED' },
    ];
    for (const run of runs) {
      const r = await runCli(run.args);
      expect(r.code, `${run.args.join(' ')}\n${r.stdout}${r.stderr}`).to.equal(2);
      expect(r.stderr).to.include(run.code);
      expect(hasStackTrace(r.stderr)).to.equal(false);
    }
  });

  it('--set pins values by their path in the tree; a name the schema lacks exits 2 and writes nothing', async () => {
    const out = path.join(dir, 'pinned');
    const r = await runCli(
      ['synth', sample, '--out', out, '--set', 'threshold-hu=250', '--set', 'priority=urgent', '--json'],
      { timeoutMs: 30_000 },
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(await readFile(path.join(out, 'threshold-hu'), 'utf8')).to.equal('250');
    expect(await readFile(path.join(out, 'priority'), 'utf8')).to.equal('urgent');
    const bad = path.join(dir, 'pinned-bad');
    const b = await runCli(['synth', sample, '--out', bad, '--set', 'no-such=1']);
    expect(b.code, b.stdout + b.stderr).to.equal(2);
    expect(b.stderr).to.match(/BERTH_E_USAGE.*--set no-such: the schema has no property "no-such"/);
    expect(hasStackTrace(b.stderr)).to.equal(false);
    expect(existsSync(bad)).to.equal(false);
  });

  it('gives several DICOM inputs one patient and study, or separate ones with --separate-studies', async () => {
    const manifest = path.join(dir, 'two-series.yaml');
    await writeFile(
      manifest,
      'metadata-version: 2\ninfo: {name: x}\nschema-in:\n  a: {dicom-type: dicom-series, series-related-instances: 2}\n  b: {dicom-type: dicom-series, series-related-instances: 2}\nschema-out: {o: {type: boolean}}\n',
    );
    const studies = async (flag: string[]): Promise<number> => {
      const out = path.join(dir, `two-${flag.length}`);
      const r = await runCli(['synth', manifest, '--out', out, ...flag]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      const uids = new Set<string>();
      for (const p of ['a', 'b']) {
        for (const f of await readdir(path.join(out, p)))
          uids.add(scanHeaderSync(path.join(out, p, f)).StudyInstanceUID);
      }
      return uids.size;
    };
    expect(await studies([])).to.equal(1);
    expect(await studies(['--separate-studies'])).to.equal(2);
  });
});
