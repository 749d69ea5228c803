import path from 'node:path';
import { expect } from 'chai';
import { runCli } from '../support/cli.js';
import { ROOT } from '../support/paths.js';

describe('berth labels', () => {
  it('accepts a machine directory like run does: the same LABELs as its machine.yaml', async () => {
    const fromDir = await runCli(['labels', path.join(ROOT, 'sample-machine')]);
    const fromFile = await runCli(['labels', path.join(ROOT, 'sample-machine', 'machine.yaml')]);
    expect(fromDir.code, fromDir.stderr).to.equal(0);
    expect(fromDir.stdout).to.match(/^LABEL com\.envoyai\.metadata-version="2"$/m);
    expect(fromDir.stdout).to.equal(fromFile.stdout);
  });
});
