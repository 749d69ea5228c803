import { expect } from 'chai';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasStackTrace, runCli } from '../support/cli.js';
import { ROOT } from '../support/paths.js';

describe('berth diff (CLI)', () => {
  let dir: string;
  const sample = path.join(ROOT, 'sample-machine', 'machine.yaml');

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-diff-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function variant(name: string, edit: (text: string) => string): Promise<string> {
    const file = path.join(dir, name, 'machine.yaml');
    await cp(path.dirname(sample), path.join(dir, name), {
      recursive: true,
      filter: (src) => !src.includes('node_modules'),
    });
    await writeFile(file, edit(await readFile(sample, 'utf8')));
    return file;
  }

  it('exits 0 and says compatible when only compatible changes were made', async () => {
    const next = await variant('wider', (t) =>
      t.replace('enum: [routine, urgent]', 'enum: [routine, urgent, stat]'),
    );
    const r = await runCli(['diff', sample, next]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/enum widened\s+schema-in\/priority\s+no/);
    expect(r.stdout).to.contain('1 change(s), 0 breaking: compatible');
  });

  it('exits 1 and lists the breaking change in the table', async () => {
    const next = await variant('narrower', (t) => t.replace('enum: [routine, urgent]', 'enum: [routine]'));
    const r = await runCli(['diff', path.dirname(sample), path.dirname(next)]);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout.split('\n')[0]).to.match(/^change\s+path\s+breaking\s+why$/);
    expect(r.stdout).to.match(
      /enum narrowed\s+schema-in\/priority\s+yes\s+\["routine","urgent"\] → \["routine"\]/,
    );
  });

  it('prints the list of changes as JSON with --json', async () => {
    const next = await variant('json', (t) => t.replace('maximum: 3071', 'maximum: 2000'));
    const r = await runCli(['diff', sample, next, '--json']);
    expect(r.code).to.equal(1);
    const changes = JSON.parse(r.stdout) as { change: string; path: string; breaking: boolean }[];
    expect(changes.map((c) => [c.change, c.path, c.breaking])).to.deep.equal([
      ['maximum narrowed', 'schema-in/threshold-hu', true],
    ]);
  });

  it('reads a manifest in any form: the sample YAML and its Dockerfile LABELs have no change', async () => {
    const r = await runCli(['diff', sample, path.join(ROOT, 'sample-machine', 'Dockerfile')]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('no changes\n');
  });

  it('exits 2 with a code, never a stack trace, when a manifest cannot be used', async () => {
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, 'metadata-version: 2\nschema-in: 5\n');
    const r = await runCli(['diff', sample, broken]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^berth: BERTH_E_\w+: /);
    expect(hasStackTrace(r.stderr)).to.equal(false);
    const missing = await runCli(['diff', path.join(dir, 'nope'), sample, '--json']);
    expect(missing.code).to.equal(2);
    expect(JSON.parse(missing.stdout).error.code).to.equal('BERTH_E_NOT_FOUND');
  });
});
