import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../../src/errors.js';
import { hasStackTrace, runCli } from '../support/cli.js';
import { GOOD_TEXT, SCHEMA, writeGoodTree, writeManifest } from '../support/sdk-tree.js';
import { removeDir, tempDir } from '../support/temp.js';

interface ValidateJson {
  ok: boolean;
  side: 'in' | 'out';
  tree: string;
  errors: number;
  warnings: number;
  findings: Finding[];
}

// The CLI is the built one (dist/): run `npm run build` before these tests.
describe('cli: berth validate', function () {
  this.timeout(30000);
  let dir: string;
  let manifest: string;
  let tree: string;

  before(async () => {
    dir = await realpath(await tempDir('validate'));
    // schema-out differs from schema-in, so the side chosen shows.
    manifest = await writeManifest(dir, SCHEMA, { verdict: { type: 'boolean' } });
    tree = path.join(dir, 'in');
    await writeGoodTree(tree);
  });
  after(() => removeDir(dir));

  it('exits 0 and says ok for a valid input tree', async () => {
    const r = await runCli(['validate', manifest, '--inputs', tree]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(`${tree}: ok\n`);
    expect(r.stderr).to.equal('');
  });

  it('accepts a machine directory like run does (its machine.json here)', async () => {
    const r = await runCli(['validate', dir, '--inputs', tree]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(`${tree}: ok\n`);
  });

  it('exits 1 and prints one line per finding, then a summary', async () => {
    const broken = path.join(dir, 'broken');
    await writeGoodTree(broken);
    await writeFile(path.join(broken, 'count'), '12abc');
    await writeFile(path.join(broken, 'flag'), 'yes');
    await rm(path.join(broken, 'score'));
    const r = await runCli(['validate', manifest, '--inputs', broken]);
    expect(r.code).to.equal(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).to.have.length(4);
    expect(lines[0]).to.match(
      /^\S+\/count {2}error {2}BERTH_E_VALUE_TEXT {2}schema-in\/count {2}"12abc" is not an integer/,
    );
    expect(lines[1]).to.include('BERTH_E_VALUE_TEXT').and.include('schema-in/flag');
    expect(lines[2]).to.include('BERTH_E_TREE_MISSING').and.include('schema-in/score');
    expect(lines[3]).to.equal(`${broken}: 3 error(s), 0 warning(s)`);
    expect(hasStackTrace(r.stdout + r.stderr)).to.equal(false);
  });

  it('--json prints {ok, side, tree, errors, warnings, findings}', async () => {
    const good = await runCli(['validate', manifest, '--inputs', tree, '--json']);
    expect(good.code).to.equal(0);
    expect(JSON.parse(good.stdout)).to.deep.equal({
      ok: true,
      side: 'in',
      tree,
      errors: 0,
      warnings: 0,
      findings: [],
    });
    const broken = path.join(dir, 'broken-json');
    await writeGoodTree(broken);
    await writeFile(path.join(broken, 'label'), 'bird');
    await writeFile(path.join(broken, 'extra'), '');
    const r = await runCli(['validate', manifest, '--inputs', broken, '--json']);
    expect(r.code).to.equal(1);
    const out = JSON.parse(r.stdout) as ValidateJson;
    expect(out.ok).to.equal(false);
    expect(out.errors).to.equal(2);
    expect(out.findings.map((f) => [f.code, path.relative(broken, f.path ?? ''), f.severity])).to.deep.equal([
      ['BERTH_E_TREE_UNDECLARED', 'extra', 'error'],
      ['BERTH_E_VALUE_ENUM', 'label', 'error'],
    ]);
    expect(out.findings[1]?.property).to.equal('schema-in/label');
  });

  it('--outputs checks against schema-out', async () => {
    const out = path.join(dir, 'out');
    await mkdir(out);
    await writeFile(path.join(out, 'verdict'), 'True');
    expect((await runCli(['validate', manifest, '--outputs', out])).code).to.equal(0);
    // the input tree is not a valid output tree: every input entry is undeclared there, verdict missing
    const r = await runCli(['validate', manifest, '--outputs', tree, '--json']);
    expect(r.code).to.equal(1);
    const report = JSON.parse(r.stdout) as ValidateJson;
    expect(report.side).to.equal('out');
    const codes = report.findings.map((f) => f.code);
    expect(codes.filter((c) => c === 'BERTH_E_TREE_MISSING')).to.have.length(1);
    expect(codes.filter((c) => c === 'BERTH_E_TREE_UNDECLARED').length).to.be.greaterThan(
      Object.keys(GOOD_TEXT).length / 3,
    );
  });

  it('exits 2 on wrong usage: neither or both of --inputs/--outputs', async () => {
    for (const args of [[], ['--inputs', tree, '--outputs', tree]]) {
      const r = await runCli(['validate', manifest, ...args]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('BERTH_E_USAGE');
      expect(r.stdout).to.equal('');
    }
  });

  it('exits 2 when the tree or the manifest cannot be used, also with --json', async () => {
    const noTree = await runCli(['validate', manifest, '--inputs', path.join(dir, 'nope')]);
    expect(noTree.code).to.equal(2);
    expect(noTree.stderr).to.include('BERTH_E_NOT_FOUND');
    const noManifest = await runCli(['validate', path.join(dir, 'nope.yaml'), '--inputs', tree, '--json']);
    expect(noManifest.code).to.equal(2);
    expect((JSON.parse(noManifest.stdout) as { ok: boolean; error: { code: string } }).error.code).to.equal(
      'BERTH_E_NOT_FOUND',
    );
    const bad = path.join(dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({
        'metadata-version': 2,
        info: { name: 'x' },
        'schema-in': { a: {} },
        'schema-out': {},
      }),
    );
    const badManifest = await runCli(['validate', bad, '--inputs', tree]);
    expect(badManifest.code).to.equal(2);
    expect(badManifest.stderr).to.match(/^berth: BERTH_E_/);
    const fileAsTree = await runCli(['validate', manifest, '--inputs', manifest]);
    expect(fileAsTree.code).to.equal(2);
    expect(fileAsTree.stderr).to.include('BERTH_E_TREE_NOT_DIRECTORY');
    for (const r of [noTree, noManifest, badManifest, fileAsTree])
      expect(hasStackTrace(r.stdout + r.stderr)).to.equal(false);
  });

  it('does not hang on a FIFO in the tree', async () => {
    const withFifo = path.join(dir, 'fifo');
    await writeGoodTree(withFifo);
    await rm(path.join(withFifo, 'name'));
    await new Promise<void>((resolve, reject) =>
      execFile('mkfifo', [path.join(withFifo, 'name')], (e) => (e ? reject(e) : resolve())),
    );
    const r = await runCli(['validate', manifest, '--inputs', withFifo, '--json'], { timeoutMs: 10000 });
    expect(r.signal).to.equal(null);
    expect(r.code).to.equal(1);
    expect((JSON.parse(r.stdout) as ValidateJson).findings.map((f) => f.code)).to.deep.equal([
      'BERTH_E_TREE_SPECIAL',
    ]);
  });
});
