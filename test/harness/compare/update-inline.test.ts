import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadCase } from '../../../src/harness/case.js';
import { assertInlineUpdatable, updateInlineOutputs } from '../../../src/harness/compare/update-inline.js';
import { codeOfAsync } from '../../support/codes.js';
import { removeDir, tempDir } from '../../support/temp.js';
import { machine, writeTree } from './helpers.js';

describe('harness/compare: updateInlineOutputs (--update of expected.outputs)', () => {
  let dir: string;
  const definition = machine({
    score: { type: 'percentage' },
    when: { type: 'date-time' },
    items: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer' } } } },
    note: { type: 'string', nullable: true },
    'mask.npy': { type: 'ndarray', dtype: 'uint8', shape: [2] },
  });
  beforeEach(async () => {
    dir = await tempDir('update-inline');
    await writeTree(path.join(dir, 'output'), {
      score: '85%',
      when: '2026-12-02T15:00:00+01:00',
      'items/0/n': '1',
      'items/1/n': '2',
    });
  });
  afterEach(() => removeDir(dir));

  it('rewrites a JSON case file: percentages as fractions, date-times as written, arrays of objects, null when absent', async () => {
    const file = path.join(dir, 'case.json');
    const outputs = { score: 0.1, when: '2000-01-01T00:00:00Z', items: [], note: 'old' };
    await writeFile(file, JSON.stringify({ inputs: {}, expected: { outcome: 'passed', outputs } }));
    const spec = await loadCase(file);
    const names = await updateInlineOutputs(spec, definition, path.join(dir, 'output'));
    expect(names).to.deep.equal(['score', 'when', 'items', 'note']);
    expect(JSON.parse(await readFile(file, 'utf8'))).to.deep.equal({
      inputs: {},
      expected: {
        outcome: 'passed',
        outputs: { score: 0.85, when: '2026-12-02T15:00:00+01:00', items: [{ n: 1 }, { n: 2 }], note: null },
      },
    });
  });

  it('refuses an inline ndarray (no inline form) and leaves the file as it was', async () => {
    const file = path.join(dir, 'case.yaml');
    const text =
      'inputs: {}\nexpected:\n  outputs:\n    mask.npy: {dtype: uint8, shape: [2], data: [0, 1]}\n';
    await writeFile(file, text);
    const spec = await loadCase(file);
    expect(() => assertInlineUpdatable(spec, definition)).to.throw(/mask\.npy \(.*\) has no inline form/);
    expect(await codeOfAsync(updateInlineOutputs(spec, definition, path.join(dir, 'output')))).to.equal(
      'BERTH_E_USAGE',
    );
    expect(await readFile(file, 'utf8')).to.equal(text);
  });
});
