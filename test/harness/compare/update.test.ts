import { expect } from 'chai';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareOutputs } from '../../../src/harness/compare/index.js';
import { updateExpected } from '../../../src/harness/compare/update.js';
import { machine, writeTree } from './helpers.js';
import { removeDir, tempDir } from '../../support/temp.js';

async function listTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) await walk(abs);
      else out[path.relative(root, abs)] = await readFile(abs, 'utf8');
    }
  };
  await walk(root);
  return out;
}

describe('harness/compare: updateExpected (--update)', () => {
  let dir: string;
  let expected: string;
  let actual: string;

  beforeEach(async () => {
    dir = await tempDir('update');
    expected = path.join(dir, 'case', 'expected');
    actual = path.join(dir, 'run', 'output');
    await writeTree(actual, { score: '85%', 'items/0': '1', 'items/1': '2' });
  });
  afterEach(() => removeDir(dir));

  it('replaces expected/ with a copy of the output tree, dropping what only the old one had', async () => {
    await writeTree(expected, { score: '10%', stale: 'old', 'items/0': '9', 'items/5': '9' });
    await updateExpected(actual, expected);
    expect(await listTree(expected)).to.deep.equal({ score: '85%', 'items/0': '1', 'items/1': '2' });
    // Nothing is left beside it: no temporary copy, no old tree.
    expect(await readdir(path.dirname(expected))).to.deep.equal(['expected']);
    // The run's output is untouched and now compares equal.
    expect(await listTree(actual)).to.deep.equal({ score: '85%', 'items/0': '1', 'items/1': '2' });
    const def = machine({
      score: { type: 'percentage' },
      items: { type: 'array', items: { type: 'integer' } },
    });
    const cs = await compareOutputs(def, expected, actual, { tolerances: {} });
    expect(cs.every((c) => c.passed)).to.equal(true);
  });

  it('creates expected/ (and its parents) when there is none yet', async () => {
    await updateExpected(actual, expected);
    expect(await listTree(expected)).to.deep.equal({ score: '85%', 'items/0': '1', 'items/1': '2' });
  });

  it('copies what a symlink inside the tree points to, and leaves berth temporary files out', async () => {
    await symlink('score', path.join(actual, 'alias'));
    await writeFile(path.join(actual, '.berth-tmp-score.1.abc'), 'half');
    await updateExpected(actual, expected);
    const tree = await listTree(expected);
    expect(tree['alias']).to.equal('85%');
    expect(Object.keys(tree)).to.not.include('.berth-tmp-score.1.abc');
  });

  it('leaves expected/ exactly as it was when the copy fails, with nothing beside it', async () => {
    await writeTree(expected, { score: '10%' });
    await mkdir(path.join(dir, 'outside'));
    await writeFile(path.join(dir, 'outside', 'secret'), 'x');
    await symlink(path.join(dir, 'outside', 'secret'), path.join(actual, 'leak'));
    let thrown: unknown;
    await updateExpected(actual, expected).catch((e: unknown) => (thrown = e));
    expect(thrown).to.have.property('code', 'BERTH_E_TREE_SYMLINK');
    expect(await listTree(expected)).to.deep.equal({ score: '10%' });
    expect(await readdir(path.dirname(expected))).to.deep.equal(['expected']);
  });

  it('refuses a missing output tree without touching expected/', async () => {
    await writeTree(expected, { score: '10%' });
    let thrown: unknown;
    await updateExpected(path.join(dir, 'nowhere'), expected).catch((e: unknown) => (thrown = e));
    expect(thrown).to.have.property('code', 'BERTH_E_NOT_FOUND');
    expect(await listTree(expected)).to.deep.equal({ score: '10%' });
  });
});
