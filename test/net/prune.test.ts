import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { newGroupState, type GroupRun, type GroupState } from '../../src/net/group-state.js';
import { prunable, pruneGroup } from '../../src/net/prune.js';
import { Spool } from '../../src/net/spool.js';
import { feedSeries } from '../support/listen.js';
import { removeDir, tempDir } from '../support/temp.js';

const DAY = 86_400_000;

/** A group state settled `ago` ms before `now`: one finished run, its delivery as given. */
function settled(status: GroupState['status'], ago: number, delivery?: 'pending' | 'delivered'): GroupState {
  const now = Date.parse('2026-12-01T00:00:00Z');
  const s = newGroupState('1.2.3', new Date(now - ago - 1000));
  const at = new Date(now - ago).toISOString();
  const run: GroupRun = {
    id: 'r1',
    setHash: '',
    instances: 1,
    attempts: 1,
    folder: 'runs/r1',
    startedAt: at,
    finishedAt: at,
    dicomOutputs: [],
    otherOutputs: [],
    deliveries: delivery ? [{ dest: 'P@h:1', status: delivery, attempts: 1 }] : [],
  };
  return { ...s, status, runs: [run] };
}

describe('net/prune', () => {
  const now = Date.parse('2026-12-01T00:00:00Z');

  it('finds a sent or not-applicable group due once settled for the window, and not again until it changes', () => {
    expect(prunable(settled('sent', 2 * DAY), now, DAY)).to.equal(true);
    expect(prunable(settled('not-applicable', 2 * DAY), now, DAY)).to.equal(true);
    expect(prunable(settled('sent', DAY / 2), now, DAY)).to.equal(false);
    const pruned = { ...settled('sent', 2 * DAY), prunedAt: new Date(now - DAY).toISOString() };
    expect(prunable(pruned, now, DAY)).to.equal(false);
    // New instances after the prune, run and sent again: due once more.
    const changed = { ...pruned, lastReceivedAt: new Date(now - DAY / 2).toISOString() };
    expect(prunable(changed, now, DAY / 4)).to.equal(true);
  });

  it('keeps failed, running and received groups, and any group with a delivery still pending', () => {
    for (const status of ['failed', 'running', 'received', 'sending'] as const)
      expect(prunable(settled(status, 2 * DAY), now, DAY), status).to.equal(false);
    expect(prunable(settled('sent', 2 * DAY, 'pending'), now, DAY)).to.equal(false);
    expect(prunable(settled('sent', 2 * DAY, 'delivered'), now, DAY)).to.equal(true);
  });

  describe('pruneGroup', () => {
    let dir: string;
    let spool: Spool;
    beforeEach(async () => {
      dir = await tempDir('prune');
      spool = new Spool(path.join(dir, 'spool'));
    });
    afterEach(() => removeDir(dir));

    it('removes the instances a run had and the run data, keeps state, reports, case and instances merged since', async () => {
      const { series, group } = await feedSeries(spool, dir, { seed: 81, instances: 3 });
      const g = spool.group(group.key);
      const run = path.join(g.runs, 'r1');
      await mkdir(path.join(run, 'received'), { recursive: true });
      await mkdir(path.join(run, 'work', 'output'), { recursive: true });
      for (const f of series.files)
        await link(
          path.join(g.instances, `${f.sopInstanceUid}.dcm`),
          path.join(run, 'received', `${f.sopInstanceUid}.dcm`),
        );
      for (const f of ['report.json', 'report.html', 'case.json', 'work/output/mask.npy'])
        await writeFile(path.join(run, f), 'x');
      await writeFile(g.state, '{}');
      // Merged after the run: a late instance, and a re-sent copy replacing one the run had.
      const late = await feedSeries(spool, dir, { seed: 81, instances: 1, seriesIndex: 1 });
      const resent = `${series.files[0]!.sopInstanceUid}.dcm`;
      await copyFile(series.files[0]!.path, path.join(dir, 'copy.dcm'));
      await rename(path.join(dir, 'copy.dcm'), path.join(g.instances, resent));

      expect(await pruneGroup(g)).to.deep.equal({ instances: 2, runFolders: 1 });
      expect((await readdir(g.instances)).sort()).to.deep.equal(
        [resent, `${late.series.files[0]!.sopInstanceUid}.dcm`].sort(),
      );
      expect((await readdir(run)).sort()).to.deep.equal(['case.json', 'report.html', 'report.json']);
      expect(existsSync(g.state)).to.equal(true);
      expect(existsSync(path.join(g.runs, '.pruning'))).to.equal(false);
    });

    it('puts back a newer copy a crash left in its trash, and deletes one the run had', async () => {
      const { series, group } = await feedSeries(spool, dir, { seed: 82, instances: 2 });
      const g = spool.group(group.key);
      const [a, b] = series.files.map((f) => `${f.sopInstanceUid}.dcm`);
      await mkdir(path.join(g.runs, 'r1', 'received'), { recursive: true });
      for (const n of [a!, b!]) await link(path.join(g.instances, n), path.join(g.runs, 'r1', 'received', n));
      // The crash: `a` (the run's file) and a newer copy of `b` parked in the trash.
      await mkdir(path.join(g.runs, '.pruning'));
      await rename(path.join(g.instances, a!), path.join(g.runs, '.pruning', a!));
      await copyFile(path.join(g.instances, b!), path.join(dir, 'newer'));
      await rename(path.join(g.instances, b!), path.join(dir, 'old-b'));
      await rename(path.join(dir, 'newer'), path.join(g.runs, '.pruning', b!));
      await pruneGroup(g);
      expect(await readdir(g.instances)).to.deep.equal([b]);
      const ino = async (f: string) => (await stat(f)).ino;
      expect(await ino(path.join(g.instances, b!))).not.to.equal(await ino(path.join(dir, 'old-b')));
    });
  });
});
