import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { caseIdProblem, listCases } from '../../src/batch/cases.js';
import { codeOfAsync } from '../support/codes.js';

describe('batch/cases', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-batch-cases-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the case folders and case files of a folder by name, ids without the case-file extension', async () => {
    mkdirSync(path.join(dir, 'b-folder'));
    writeFileSync(path.join(dir, 'a.yaml'), 'inputs: {}\n');
    writeFileSync(path.join(dir, 'c.json'), '{}');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a case');
    mkdirSync(path.join(dir, '.hidden'));
    const refs = await listCases(dir);
    expect(refs.map((r) => r.id)).to.deep.equal(['a', 'b-folder', 'c']);
    expect(refs[1]!.path).to.equal(path.join(dir, 'b-folder'));
  });

  it('reads a list file in its order, paths relative to the list, skipping blank and # lines', async () => {
    mkdirSync(path.join(dir, 'data', 'x'), { recursive: true });
    writeFileSync(path.join(dir, 'data', 'y.yml'), 'inputs: {}\n');
    writeFileSync(path.join(dir, 'list.txt'), '# the cases\ndata/y.yml\n\n  data/x  \r\n');
    const refs = await listCases(path.join(dir, 'list.txt'));
    expect(refs).to.deep.equal([
      { id: 'y', path: path.join(dir, 'data', 'y.yml') },
      { id: 'x', path: path.join(dir, 'data', 'x') },
    ]);
  });

  it('refuses two cases with one id, a listed case that does not exist, and an empty source', async () => {
    mkdirSync(path.join(dir, 'a'));
    writeFileSync(path.join(dir, 'a.yaml'), 'inputs: {}\n');
    expect(await codeOfAsync(listCases(dir))).to.equal('BERTH_E_BATCH_CASES');
    writeFileSync(path.join(dir, 'list.txt'), 'a\nmissing\n');
    expect(await codeOfAsync(listCases(path.join(dir, 'list.txt')))).to.equal('BERTH_E_BATCH_CASES');
    writeFileSync(path.join(dir, 'empty.txt'), '# nothing\n');
    expect(await codeOfAsync(listCases(path.join(dir, 'empty.txt')))).to.equal('BERTH_E_BATCH_CASES');
    expect(await codeOfAsync(listCases(path.join(dir, 'nope')))).to.equal('BERTH_E_BATCH_CASES');
  });

  it('refuses ids that are not one safe path segment, that start with a dot, or that name the batch report', async () => {
    expect(caseIdProblem('ok-1')).to.equal(undefined);
    for (const bad of ['', '..', '.complete', 'batch.json', 'batch.html', 'a\u0001b', 'x'.repeat(256)])
      expect(caseIdProblem(bad), bad).to.be.a('string');
    mkdirSync(path.join(dir, '.tmp-x'));
    writeFileSync(path.join(dir, 'list.txt'), '.tmp-x\n');
    expect(await codeOfAsync(listCases(path.join(dir, 'list.txt')))).to.equal('BERTH_E_BATCH_CASES');
  });
});
