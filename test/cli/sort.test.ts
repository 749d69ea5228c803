import { expect } from 'chai';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeSeries } from '../../src/dicom/synth.js';
import { removeDir, tempDir } from '../support/temp.js';
import { listTree, writeMessyFolder } from '../support/sort-fixtures.js';
import { hasStackTrace, runCli } from '../support/cli.js';

interface SortJson {
  ok: boolean;
  layout: string;
  copied: { to: string }[];
  skipped: { path: string; reason: string; code?: string }[];
}

describe('berth sort', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('cli-sort');
  });
  after(() => removeDir(dir));

  it('exits 0 when every file was sorted', async () => {
    const src = path.join(dir, 'clean');
    const s = await writeSeries(path.join(src, 'a', 'b'), { seed: 'cli', instances: 3, rows: 8, columns: 8 });
    const out = path.join(dir, 'clean-out');
    const r = await runCli(['sort', src, '--out', out, '--as', 'series']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/copied 3 instance\(s\) of 1 series in 1 study\(ies\) as series/);
    expect(await listTree(out)).to.deep.equal(s.files.map((f) => `${f.sopInstanceUid}.dcm`).sort());
  });

  it('exits 1 and reports every skipped file as JSON for a messy folder', async () => {
    const src = path.join(dir, 'messy');
    await writeMessyFolder(src);
    const r = await runCli(['sort', src, '--out', path.join(dir, 'messy-out'), '--json'], {
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).to.equal(1);
    const json = JSON.parse(r.stdout) as SortJson;
    expect(json.ok).to.equal(false);
    expect(json.layout).to.equal('studies');
    expect(json.copied).to.have.length(11);
    const reasons = new Set(json.skipped.map((s) => s.reason));
    expect([...reasons].sort()).to.deep.equal(['broken', 'duplicate', 'not-dicom']);
    const text = await runCli(['sort', src, '--out', path.join(dir, 'messy-out2')]);
    expect(text.code).to.equal(1);
    expect(text.stdout).to.match(/^skipped {2}duplicate {2}/m);
    expect(text.stdout).to.match(/^skipped {2}broken {2}.*BERTH_E_TRUNCATED/m);
  });

  it('exits 2 without a stack trace when nothing is usable or the call is wrong', async () => {
    const empty = path.join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    const runs = [
      { args: ['sort', empty, '--out', path.join(dir, 'o1')], code: 'BERTH_E_SORT_NOTHING' },
      { args: ['sort', path.join(dir, 'missing'), '--out', path.join(dir, 'o2')], code: 'BERTH_E_NOT_FOUND' },
      { args: ['sort', empty, '--out', path.join(dir, 'o3'), '--as', 'patient'], code: 'BERTH_E_USAGE' },
    ];
    for (const run of runs) {
      const r = await runCli(run.args);
      expect(r.code, r.stdout + r.stderr).to.equal(2);
      expect(r.stderr).to.include(run.code);
      expect(hasStackTrace(r.stderr)).to.equal(false);
    }
    const missingOut = await runCli(['sort', empty]);
    expect(missingOut.code).to.equal(2);
  });
});
