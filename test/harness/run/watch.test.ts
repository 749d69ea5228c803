import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEADLINE_PASSED, withDeadline } from '../../../src/harness/deadline.js';
import { lastProgress, readStatus, StatusWatcher } from '../../../src/harness/run/watch.js';

describe('harness/watch', function () {
  this.timeout(5000);
  let dir: string;
  let status: string;
  let secret: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-watch-'));
    status = join(dir, 'status');
    await mkdir(status);
    await mkdir(join(dir, 'host'), { mode: 0o700 });
    secret = join(dir, 'host', 'secret');
    await writeFile(secret, 'CANARY-watch-4f1c\n');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('lastProgress', () => {
    it('reads the last N% written, clamped to 0–100', () => {
      expect(lastProgress('10%\n20%\n')).to.equal(20);
      expect(lastProgress('step 3: 45.5 % done\n')).to.equal(45.5);
      expect(lastProgress('150%')).to.equal(100);
      expect(lastProgress('-5%')).to.equal(0);
      expect(lastProgress('no number here %')).to.equal(null);
      expect(lastProgress('')).to.equal(null);
    });

    it('returns within 200 ms on 1 MiB of digits, with and without a % at the end', () => {
      const digits = '7'.repeat(1024 * 1024);
      for (const text of [digits, digits + '%', '50%\n' + digits, digits + '\n60%\n']) {
        const t0 = performance.now();
        lastProgress(text);
        expect(performance.now() - t0).to.be.below(200);
      }
      expect(lastProgress(digits + '\n60%\n')).to.equal(60);
      expect(lastProgress(digits + '%')).to.equal(null);
    });
  });

  describe('readStatus', () => {
    it('never follows a symlinked status file: the host file is a BERTH_E_TREE_SYMLINK finding, its content nowhere', async () => {
      for (const name of ['progress', 'warn', 'error']) await symlink(secret, join(status, name));
      const s = await readStatus(status);
      expect(JSON.stringify(s)).not.to.contain('CANARY');
      expect(s.warnings).to.deep.equal([]);
      expect(s.error).to.equal(null);
      expect(s.findings!.map((f) => [f.code, f.severity])).to.deep.equal([
        ['BERTH_E_TREE_SYMLINK', 'warning'],
        ['BERTH_E_TREE_SYMLINK', 'warning'],
        ['BERTH_E_TREE_SYMLINK', 'warning'],
      ]);
    });

    it('never waits on a FIFO status file: it is a BERTH_E_TREE_SPECIAL finding at once', async () => {
      execFileSync('mkfifo', [join(status, 'warn'), join(status, 'error')]);
      await writeFile(join(status, 'progress'), '30%\n');
      const s = await readStatus(status);
      expect(s.progress).to.equal(30);
      expect(s.findings!.map((f) => f.code)).to.deep.equal(['BERTH_E_TREE_SPECIAL', 'BERTH_E_TREE_SPECIAL']);
    });

    it('a directory named warn is BERTH_E_TREE_NOT_FILE; missing files say nothing', async () => {
      await mkdir(join(status, 'warn'));
      const s = await readStatus(status);
      expect(s).to.deep.include({ progress: null, warnings: [], error: null });
      expect(s.findings!.map((f) => f.code)).to.deep.equal(['BERTH_E_TREE_NOT_FILE']);
      await rm(join(status, 'warn'), { recursive: true });
      expect(await readStatus(status)).to.deep.equal({ progress: null, warnings: [], error: null });
    });
  });

  describe('StatusWatcher', () => {
    it('follows appends, truncation, in-place rewrites and replacement of the status files', async () => {
      const seen: (number | null)[] = [];
      const w = new StatusWatcher(status, (s) => seen.push(s.progress), 60_000);
      const progress = join(status, 'progress');
      await writeFile(progress, '10%\n');
      expect((await w.poll()).progress).to.equal(10);
      await appendFile(progress, '20%\n');
      expect((await w.poll()).progress).to.equal(20);
      await writeFile(progress, '5%\n'); // truncated, shorter
      expect((await w.poll()).progress).to.equal(5);
      await writeFile(progress, '100%\n'); // rewritten in place, longer than before
      expect((await w.poll()).progress).to.equal(100);
      await writeFile(join(status, 'other'), '42%\n');
      await rename(join(status, 'other'), progress); // replaced by another inode
      expect((await w.poll()).progress).to.equal(42);
      await writeFile(join(status, 'warn'), 'first\n');
      await appendFile(join(status, 'warn'), 'second\n');
      expect((await w.stop()).warnings).to.deep.equal(['first', 'second']);
      expect(seen).to.include.members([10, 20, 5, 100, 42]);
    });

    it('keeps only the last MiB of a warn file written past it, reading at most that per poll', async () => {
      const w = new StatusWatcher(status, () => undefined, 60_000);
      await writeFile(join(status, 'warn'), 'old\n'.repeat(300_000) + 'newest\n');
      const s = await w.poll();
      expect(s.warnings[s.warnings.length - 1]).to.equal('newest');
      expect(s.warnings.join('\n').length).to.be.at.most(1024 * 1024);
      await w.stop();
    });
  });

  describe('withDeadline', () => {
    it('answers DEADLINE_PASSED for work that never ends, and the value of work that does', async () => {
      const never = new Promise<number>(() => undefined);
      const t0 = performance.now();
      expect(await withDeadline(never, 50)).to.equal(DEADLINE_PASSED);
      expect(performance.now() - t0).to.be.below(1000);
      expect(await withDeadline(Promise.resolve(7), 1000)).to.equal(7);
    });
  });
});
