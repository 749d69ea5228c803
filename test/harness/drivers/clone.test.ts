import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { BWRAP_PEER } from '../../support/bwrap.js';
import { requirePeer } from '../../support/peers.js';
import { ROOT } from '../../support/paths.js';

/** Runs a command to its end (bounded), collecting its output. */
function run(
  file: string,
  args: string[],
  cwd: string,
  ms = 120_000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(file, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: ms,
      killSignal: 'SIGKILL',
    });
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (out += b.toString()));
    c.once('close', (code) => resolve({ code, out }));
  });
}

/**
 * `berth test sample-machine --driver sandbox` from a clone of the repository that lives where
 * the sandbox masks the host (/home) or replaces it (/tmp): the sandbox must bind what the machine
 * needs — its package root (Node's self-reference `import 'berth'`) and the node_modules chain.
 * The clone gets the build of the tree under test (dist/, sample-machine/dist/) and its
 * node_modules by symlink, as a developer's clone would after `npm ci && npm run build`.
 */
describe('harness/drivers: the sample machine under the sandbox from a clone elsewhere', function () {
  this.timeout(240_000);
  for (const parent of ['/tmp', '/home']) {
    it(`berth test sample-machine --driver sandbox passes from a clone under ${parent}`, async function () {
      await requirePeer(this, BWRAP_PEER);
      if (
        !existsSync(path.join(ROOT, 'dist/cli/berth.js')) ||
        !existsSync(path.join(ROOT, 'sample-machine/dist/main.js'))
      )
        throw new Error("run npm run build first: the clone gets this tree's build");
      const dir = await mkdtemp(path.join(parent, 'berth-clone-'));
      try {
        const clone = path.join(dir, 'berth');
        const cloned = await run('git', ['clone', '-q', '--depth', '1', `file://${ROOT}`, clone], parent);
        expect(cloned.code, cloned.out).to.equal(0);
        await symlink(await realpath(path.join(ROOT, 'node_modules')), path.join(clone, 'node_modules'));
        await cp(path.join(ROOT, 'dist'), path.join(clone, 'dist'), { recursive: true });
        await cp(path.join(ROOT, 'sample-machine/dist'), path.join(clone, 'sample-machine/dist'), {
          recursive: true,
        });
        const r = await run(
          process.execPath,
          [path.join(clone, 'dist/cli/berth.js'), 'test', 'sample-machine', '--driver', 'sandbox'],
          clone,
        );
        expect(r.code, r.out).to.equal(0);
        expect(r.out).to.match(/\b[1-9]\d* passed, 0 failed/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
