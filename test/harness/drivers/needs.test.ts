import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { sandboxNeeds } from '../../../src/harness/drivers/needs.js';
import { processDriver } from '../../../src/harness/drivers/process.js';
import { sandboxDriver } from '../../../src/harness/drivers/sandbox.js';

/**
 * What the sandbox binds for a machine living where it masks the host (/home) — decided from the
 * host alone, so no bwrap is needed.
 */
describe('harness/drivers/needs: what a sandboxed machine needs from the host', () => {
  let home: string;
  before(async () => {
    home = await mkdtemp('/home/berth-needs-');
  });
  after(() => rm(home, { recursive: true, force: true }));

  it('binds the package root above the machine, its node_modules chain and file:-linked packages', async () => {
    const repo = path.join(home, 'repo');
    const machine = path.join(repo, 'machines', 'm');
    const linked = path.join(home, 'lib');
    await mkdir(machine, { recursive: true });
    await mkdir(path.join(machine, 'node_modules', '@scope'), { recursive: true });
    await mkdir(linked);
    await writeFile(path.join(repo, 'package.json'), '{"name":"repo"}');
    await mkdir(path.join(repo, 'node_modules'));
    await symlink(linked, path.join(machine, 'node_modules', '@scope', 'lib'));
    const needs = await sandboxNeeds(sandboxDriver, machine, { command: ['/usr/bin/node', 'main.js'] });
    const bound = needs.binds.map((b) => b.path);
    expect(bound).to.include(repo); // the package root (covers repo/node_modules)
    expect(bound).to.include(linked);
    expect(bound).to.not.include(path.join(repo, 'node_modules'));
    expect(needs.binds.every((b) => !b.writable)).to.equal(true);
  });

  it('binds a venv whose python is first on PATH, with its pyvenv.cfg', async () => {
    const venv = path.join(home, 'venv');
    await mkdir(path.join(venv, 'bin'), { recursive: true });
    await writeFile(path.join(venv, 'pyvenv.cfg'), 'home = /usr/bin\n');
    await symlink('/usr/bin/python3', path.join(venv, 'bin', 'python3'));
    const needs = await sandboxNeeds(
      sandboxDriver,
      '/usr',
      { command: ['python3', 'cmd.py'] },
      `${venv}/bin:/usr/bin`,
    );
    expect(needs.binds.map((b) => b.path)).to.include(venv);
    expect(needs.notices).to.deep.equal([]);
  });

  it('warns when the interpreter on the host PATH is a shim the sandbox masks, naming the one it runs', async () => {
    const shims = path.join(home, 'shims');
    await mkdir(shims, { recursive: true });
    await writeFile(path.join(shims, 'python3'), '#!/bin/sh\nexec pyenv exec python3 "$@"\n');
    await chmod(path.join(shims, 'python3'), 0o755);
    const needs = await sandboxNeeds(sandboxDriver, '/usr', { command: ['python3'] }, `${shims}:/usr/bin`);
    expect(needs.binds).to.deep.equal([]);
    expect(needs.notices.join('\n')).to.include(`${shims}/python3`).and.to.include('runs /usr/bin/python3');
  });

  it('binds the install of a real interpreter binary under a masked home (an nvm node)', async () => {
    const prefix = path.join(home, '.nvm', 'versions', 'node', 'v20');
    await mkdir(path.join(prefix, 'bin'), { recursive: true });
    await copyFile('/bin/true', path.join(prefix, 'bin', 'node'));
    await chmod(path.join(prefix, 'bin', 'node'), 0o755);
    const needs = await sandboxNeeds(sandboxDriver, '/usr', { command: ['node'] }, `${prefix}/bin:/usr/bin`);
    expect(needs.binds.map((b) => b.path)).to.deep.equal([prefix]);
  });

  it('needs nothing for other drivers', async () => {
    expect(await sandboxNeeds(processDriver, home, { command: ['python3'] })).to.deep.equal({
      binds: [],
      notices: [],
    });
  });
});
