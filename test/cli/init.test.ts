import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, realpath, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  berthDependencySpec,
  initMachine,
  machineNameProblem,
  nameFromDirectory,
  titleFromName,
} from '../../src/harness/init.js';
import { VERSION } from '../../src/version.js';
import { isBerthError, type BerthError } from '../../src/errors.js';
import { removeDir, tempDir } from '../support/temp.js';
import { hasStackTrace, runCli } from '../support/cli.js';
import { ROOT } from '../support/paths.js';

const run = promisify(execFile);

/** Awaits a promise that must reject with a BerthError of this code. */
async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBerthError(error), String(error)).to.equal(true);
  expect((error as BerthError).code).to.equal(code);
}

/**
 * What `npm install` would give the scaffolded machine, without the network: berth itself (this
 * repository, built), its type declarations, and the `tsc` and `berth` commands.
 */
async function installOffline(dir: string): Promise<void> {
  const modules = path.join(dir, 'node_modules');
  await mkdir(path.join(modules, '.bin'), { recursive: true });
  await symlink(ROOT, path.join(modules, 'berth'), 'dir');
  await symlink(path.join(ROOT, 'node_modules', '@types'), path.join(modules, '@types'), 'dir');
  await symlink(
    path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
    path.join(modules, '.bin', 'tsc'),
  );
  // npm would link the package's bin and mark it executable; a wrapper does both without touching dist/.
  const berthBin = path.join(modules, '.bin', 'berth');
  await writeFile(
    berthBin,
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(ROOT, 'dist', 'cli', 'berth.js'))} "$@"\n`,
  );
  await chmod(berthBin, 0o755);
}

describe('berth init', () => {
  let tmp: string;
  before(async () => {
    tmp = await tempDir('cli-init');
  });
  after(() => removeDir(tmp));

  describe('a new machine, built and tested', () => {
    let dir: string;
    before(async function () {
      this.timeout(60_000);
      dir = path.join(tmp, 'Lung Screen');
      const r = await runCli(['init', dir], { timeoutMs: 20_000 });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('Created the machine lung-screen');
      expect(r.stdout).to.contain('Next steps:');
      expect(hasStackTrace(r.stdout + r.stderr)).to.equal(false);
    });

    it('writes every file, and nothing else', async () => {
      const entries = await readdir(dir, { recursive: true });
      const files: string[] = [];
      for (const e of entries)
        if ((await stat(path.join(dir, e))).isFile()) files.push(e.split(path.sep).join('/'));
      files.sort();
      expect(files).to.deep.equal(
        [
          '.dockerignore',
          '.gitignore',
          'Dockerfile',
          'README.md',
          'cases/synthetic/case.yaml',
          'machine.yaml',
          'package.json',
          'src/machine-types.ts',
          'src/main.ts',
          'tsconfig.json',
        ].sort(),
      );
      const manifest = await readFile(path.join(dir, 'machine.yaml'), 'utf8');
      expect(manifest.split('\n')[0]).to.equal(
        '# yaml-language-server: $schema=./node_modules/berth/schemas/machine.schema.json',
      );
      expect(manifest).to.match(/^ {2}name: lung-screen$/m);
      expect(manifest).to.contain('command: [node, dist/main.js]');
    });

    it('depends on this berth by a relative file: path', async () => {
      const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as {
        name: string;
        type: string;
        dependencies: Record<string, string>;
        scripts: Record<string, string>;
      };
      expect(pkg).to.include({ name: 'lung-screen', type: 'module' });
      const spec = pkg.dependencies['berth']!;
      expect(spec).to.match(/^file:/);
      expect(path.resolve(await realpath(dir), spec.slice('file:'.length))).to.equal(await realpath(ROOT));
      expect(pkg.scripts['build']).to.contain('tsc');
    });

    it('is checked clean by berth check', async () => {
      const r = await runCli(['check', path.join(dir, 'machine.yaml')]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout.trim().split('\n')).to.have.length(1);
      expect(r.stdout).to.contain('ok — lung-screen, 2 input(s), 4 output(s)');
    });

    it('has the types berth types generates from its manifest, byte for byte', async () => {
      const generated = path.join(tmp, 'regenerated-types.ts');
      // The same command the machine's `npm run types` runs, from the machine's folder.
      const r = await runCli(['types', 'machine.yaml', '--out', generated], { cwd: dir });
      expect(r.code, r.stderr).to.equal(0);
      expect(await readFile(generated, 'utf8')).to.equal(
        await readFile(path.join(dir, 'src', 'machine-types.ts'), 'utf8'),
      );
    });

    it('compiles with tsc and passes berth test', async function () {
      this.timeout(60_000);
      await installOffline(dir);
      await run(
        process.execPath,
        [path.join(dir, 'node_modules', '.bin', 'tsc'), '-p', path.join(dir, 'tsconfig.json')],
        {
          cwd: dir,
        },
      ).catch((e: { stdout?: string; message: string }) => {
        throw new Error(`tsc failed: ${e.stdout ?? ''}${e.message}`);
      });
      const r = await runCli(['test', dir], { timeoutMs: 30_000 });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/ok {4}synthetic: passed\n/);
      expect(r.stdout.endsWith('1 passed, 0 failed\n'), r.stdout).to.equal(true);
    });

    it('has a Dockerfile that berth build takes as it is, setting the LABELs from the manifest', async () => {
      const docker = await readFile(path.join(dir, 'Dockerfile'), 'utf8');
      const instructions = docker.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
      expect(instructions).to.deep.equal([
        'ARG BERTH_IMAGE=berth:latest',
        'FROM ${BERTH_IMAGE}',
        'COPY machine.yaml /envoyai/machine.yaml',
        'COPY package.json ./',
        'COPY dist ./dist',
        'CMD ["node", "dist/main.js"]',
      ]);
      // The README's packaging step, without building: no notes about the Dockerfile, every label set.
      const r = await runCli(['build', dir, '--dry-run', '--engine', 'docker']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.equal('');
      const args = JSON.parse(r.stdout) as string[];
      expect(args.slice(0, 2)).to.deep.equal(['docker', 'build']);
      expect(args[args.indexOf('--tag') + 1]).to.equal('lung-screen:0.1.0');
      const labels = args.filter((_, k) => args[k - 1] === '--label').map((l) => l.slice(0, l.indexOf('=')));
      expect(labels).to.include.members([
        'com.envoyai.metadata-version',
        'com.envoyai.info',
        'com.envoyai.schema-in',
        'com.envoyai.schema-out',
        'com.envoyai.timeout',
      ]);
    });
  });

  it('refuses a non-empty directory without --force and leaves it as it was', async () => {
    const dir = path.join(tmp, 'busy');
    await mkdir(dir);
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    const r = await runCli(['init', dir]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('BERTH_E_OUT_NOT_EMPTY');
    expect(r.stderr).to.contain('--force');
    expect(await readdir(dir)).to.deep.equal(['notes.txt']);
  });

  it('counts a directory holding only .git as empty', async () => {
    const dir = path.join(tmp, 'fresh-repo');
    await mkdir(path.join(dir, '.git'), { recursive: true });
    const result = await initMachine({ dir });
    expect(result.name).to.equal('fresh-repo');
    expect(result.files.every((f) => !f.replaced)).to.equal(true);
    expect(await readdir(path.join(dir, '.git'))).to.deep.equal([]);
  });

  it('with --force writes its files beside the existing ones, replacing same-named files only', async () => {
    const dir = path.join(tmp, 'forced');
    await mkdir(dir);
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    await writeFile(path.join(dir, 'machine.yaml'), 'old: manifest\n');
    const r = await runCli(['init', dir, '--force', '--name', 'my.machine_2']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^ {2}machine\.yaml {2}\(replaced\)$/m);
    expect(r.stdout).to.match(/^ {2}src\/main\.ts$/m);
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).to.equal('mine');
    expect(await readFile(path.join(dir, 'machine.yaml'), 'utf8')).to.match(/^ {2}name: my\.machine_2$/m);
  });

  it('with --force still refuses an entry in the way, before writing anything', async () => {
    const dir = path.join(tmp, 'in-the-way');
    await mkdir(path.join(dir, 'elsewhere'), { recursive: true });
    await symlink(path.join(dir, 'elsewhere'), path.join(dir, 'cases'), 'dir');
    await expectCode(initMachine({ dir, force: true }), 'BERTH_E_OUT_NOT_EMPTY');
    expect((await readdir(dir)).sort()).to.deep.equal(['cases', 'elsewhere']);
    expect(await readdir(path.join(dir, 'elsewhere'))).to.deep.equal([]);
  });

  it('refuses a bad name and creates nothing', async () => {
    // Each rule of the name is covered by machineNameProblem below; here, that the CLI refuses.
    const dir = path.join(tmp, 'bad-name');
    const r = await runCli(['init', dir, '--name', 'Bad Name']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('BERTH_E_USAGE');
    expect(hasStackTrace(r.stderr)).to.equal(false);
    await expectCode(initMachine({ dir, name: 'berth' }), 'BERTH_E_USAGE');
    expect(await readdir(tmp)).to.not.include('bad-name');
  });

  it('refuses a --berth-path that is not berth, and creates nothing', async () => {
    const dir = path.join(tmp, 'no-berth');
    await expectCode(initMachine({ dir, berthPath: tmp }), 'BERTH_E_NOT_FOUND');
    await mkdir(path.join(tmp, 'other-package'));
    await writeFile(path.join(tmp, 'other-package', 'package.json'), '{"name": "other"}');
    await expectCode(initMachine({ dir, berthPath: path.join(tmp, 'other-package') }), 'BERTH_E_USAGE');
    expect(await readdir(tmp)).to.not.include('no-berth');
  });

  describe('names and the berth dependency', () => {
    it('validates names for info.name, npm and image names', () => {
      for (const ok of ['a', 'lung-screen', 'ct.v2', 'x_1', '1', 'a'.repeat(128)]) {
        expect(machineNameProblem(ok), ok).to.equal(undefined);
      }
      for (const bad of ['', 'Lung', 'a b', '-a', 'a-', 'a--b', '.a', 'a/b', 'é', 'berth', 'a'.repeat(129)]) {
        expect(machineNameProblem(bad), bad).to.be.a('string');
      }
    });

    it('derives a name and a title from a directory', () => {
      expect(nameFromDirectory('/x/My Machine!')).to.equal('my-machine');
      expect(nameFromDirectory('/x/ct_v2.1')).to.equal('ct-v2-1');
      expect(nameFromDirectory('/x/___')).to.equal(undefined);
      expect(nameFromDirectory('/x/berth')).to.equal(undefined);
      expect(titleFromName('lung-screen')).to.equal('Lung screen');
    });

    it('uses ^version for a berth from a registry and file: otherwise', () => {
      const installed = path.join('/p', 'node_modules', 'berth');
      expect(berthDependencySpec('/p/m', installed, false)).to.equal(`^${VERSION}`);
      expect(berthDependencySpec('/p/m', installed, true)).to.equal('file:../node_modules/berth');
      expect(berthDependencySpec('/home/u/machines/m', '/home/u/src/berth', false)).to.equal(
        'file:../../src/berth',
      );
    });
  });
});
