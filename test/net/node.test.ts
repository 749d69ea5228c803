import { expect } from 'chai';
import { link, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../../src/errors.js';
import type { LaunchRecord } from '../../src/harness/drivers/orphans.js';
import { memoryEventLog } from '../../src/net/event-log.js';
import { parseDestination } from '../../src/net/dest.js';
import type { GroupRunResult } from '../../src/net/group-run.js';
import { readGroupState, setHash } from '../../src/net/group-state.js';
import { ListenNode, type DeliverFn, type NodeOptions, type RunFn } from '../../src/net/node.js';
import { Spool } from '../../src/net/spool.js';
import { feedSeries, until } from '../support/listen.js';
import { removeDir, tempDir } from '../support/temp.js';

const PASSED: GroupRunResult = {
  outcome: 'passed',
  reason: '',
  dicomOutputs: ['work/output/seg/a.dcm'],
  otherOutputs: [],
};

describe('net/node', () => {
  let dir: string;
  let spool: Spool;
  const nodes: ListenNode[] = [];
  beforeEach(async () => {
    dir = await tempDir('listen-node');
    spool = new Spool(path.join(dir, 'spool'));
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) n.stop();
    await removeDir(dir);
  });

  /** A node with a run function that records its calls, and a destination that always takes. */
  function node(o: Partial<NodeOptions> = {}): {
    node: ListenNode;
    runs: { key: string; id: string; n: number }[];
    log: ReturnType<typeof memoryEventLog>;
  } {
    const runs: { key: string; id: string; n: number }[] = [];
    const log = memoryEventLog();
    const run: RunFn = (key, id, uids) => {
      runs.push({ key, id, n: uids.length });
      return Promise.resolve(PASSED);
    };
    const n = new ListenNode({
      spool,
      idleMs: 200,
      tickMs: 20,
      run,
      destinations: [parseDestination('PACS@127.0.0.1:104')],
      callingAet: 'BERTH',
      log,
      feeding: () => new Set(),
      deliver: () => Promise.resolve(),
      ...o,
    });
    nodes.push(n);
    return { node: n, runs, log };
  }

  async function state(key: string) {
    return (await readGroupState(spool.group(key).state))!;
  }

  it('runs a group once after the idle window, never while a batch still feeds it, then delivers and is sent', async () => {
    let feeding = new Set<string>();
    const { node: n, runs } = node({ feeding: () => feeding });
    await n.start();
    const { group } = await feedSeries(spool, dir, { seed: 1, instances: 3 });
    feeding = new Set([group.key]);
    await n.committed([group]);
    await new Promise((r) => setTimeout(r, 500));
    expect(runs).to.have.length(0);
    expect((await state(group.key)).status).to.equal('received');
    feeding = new Set();
    await until(async () => (await state(group.key)).status === 'sent', 'the group to be sent');
    expect(runs).to.deep.equal([{ key: group.key, id: 'r1', n: 3 }]);
    const s = await state(group.key);
    expect(s.runs[0]!.deliveries).to.deep.include({
      dest: 'PACS@127.0.0.1:104',
      status: 'delivered',
      attempts: 1,
      deliveredAt: s.runs[0]!.deliveries[0]!.deliveredAt,
    });
  });

  it('re-runs a published group on the union when a late instance arrives, and not when the set is unchanged', async () => {
    const { node: n, runs } = node();
    await n.start();
    const first = await feedSeries(spool, dir, { seed: 2, instances: 2 });
    await n.committed([first.group]);
    await until(async () => (await state(first.group.key)).status === 'sent', 'the first run');
    // The same instances again (a peer re-sending): no new run.
    await n.committed([first.group]);
    await until(
      async () => (await state(first.group.key)).status === 'sent',
      'the unchanged group to settle',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).to.have.length(1);
    // A second series of the same study: one run on the union.
    const late = await feedSeries(spool, dir, { seed: 2, instances: 3, seriesIndex: 1 });
    expect(late.group.key).to.equal(first.group.key);
    await n.committed([late.group]);
    await until(() => runs.length === 2, 'the second run');
    await until(async () => (await state(first.group.key)).status === 'sent', 'the second run to be sent');
    expect(runs.map((r) => [r.id, r.n])).to.deep.equal([
      ['r1', 2],
      ['r2', 5],
    ]);
  });

  it('runs again on the union when instances arrive while the group is running', async () => {
    let release: () => void = () => undefined;
    const runs: number[] = [];
    const run: RunFn = (_key, _id, uids) => {
      runs.push(uids.length);
      if (runs.length > 1) return Promise.resolve(PASSED);
      return new Promise((resolve) => (release = () => resolve(PASSED)));
    };
    const { node: n } = node({ run });
    await n.start();
    const first = await feedSeries(spool, dir, { seed: 9, instances: 2 });
    await n.committed([first.group]);
    await until(() => runs.length === 1, 'the first run');
    const late = await feedSeries(spool, dir, { seed: 9, instances: 1, seriesIndex: 1 });
    await n.committed([late.group]);
    expect((await state(first.group.key)).status).to.equal('running');
    release();
    await until(() => runs.length === 2, 'a run on the union');
    await until(async () => (await state(first.group.key)).status === 'sent', 'sent');
    expect(runs).to.deep.equal([2, 3]);
    // The first run's outputs were delivered too: nothing a run produced is dropped.
    expect((await state(first.group.key)).runs.map((r) => r.deliveries[0]!.status)).to.deep.equal([
      'delivered',
      'delivered',
    ]);
  });

  it('does what is left of a run (its after) once its outputs are delivered, beside the next run, and drain waits for it', async () => {
    const order: string[] = [];
    const ends: (() => void)[] = [];
    const run: RunFn = (_key, _id, uids) => {
      order.push(`run ${uids.length}`);
      return Promise.resolve({
        ...PASSED,
        after: () => {
          order.push(`after ${uids.length}`);
          return new Promise<void>((resolve) => ends.push(resolve));
        },
      });
    };
    let release: () => void = () => undefined;
    const deliver: DeliverFn = () => {
      order.push('deliver');
      return order.length > 2 ? Promise.resolve() : new Promise<void>((r) => (release = r));
    };
    const { node: n } = node({ run, deliver });
    await n.start();
    const a = await feedSeries(spool, dir, { seed: 12, instances: 2 });
    await n.committed([a.group]);
    await until(() => order.length === 2, 'the first run and its delivery');
    await new Promise((r) => setTimeout(r, 100));
    expect(order).to.deep.equal(['run 2', 'deliver']); // its after waits for the delivery
    release();
    await until(() => order.length === 3, 'its after');
    const b = await feedSeries(spool, dir, { seed: 13, instances: 3 });
    await n.committed([b.group]);
    await until(() => order.includes('run 3'), 'the next run, the first one’s after still going on');
    await until(() => ends.length === 2, 'the second after');
    let drained = false;
    const draining = n.drain().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(drained).to.equal(false);
    ends[0]!();
    ends[1]!();
    await draining;
    expect(order.slice(0, 4)).to.deep.equal(['run 2', 'deliver', 'after 2', 'run 3']);
  });

  it('takes up a run a crash interrupted exactly once more, and never re-runs a finished group after a restart', async () => {
    const hang: RunFn = () => new Promise<GroupRunResult>(() => undefined);
    const a = node({ run: hang });
    await a.node.start();
    const done = await feedSeries(spool, dir, { seed: 3, instances: 2 });
    const b = node();
    await b.node.start();
    await b.node.committed([done.group]);
    await until(
      async () => (await state(done.group.key)).status === 'sent',
      'a group finished before the crash',
    );
    b.node.stop();
    const inFlight = await feedSeries(spool, dir, { seed: 4, instances: 2 });
    await a.node.committed([inFlight.group]);
    await until(async () => (await state(inFlight.group.key)).status === 'running', 'a run in flight');
    a.node.stop(); // the process dies here: state.json says running
    const c = node();
    await c.node.start();
    await until(
      async () => (await state(inFlight.group.key)).status === 'sent',
      'the interrupted run to be taken up',
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(c.runs).to.deep.equal([{ key: inFlight.group.key, id: 'r1-2', n: 2 }]);
    const s = await state(inFlight.group.key);
    expect(s.runs).to.have.length(1);
    expect(s.runs[0]!.attempts).to.equal(2);
    expect((await state(done.group.key)).runs).to.have.length(1);
  });

  it('records the launch (driver, run id) before the run starts, and stops that machine at the next start before running again', async () => {
    const launches: (LaunchRecord | undefined)[] = [];
    let recorded: LaunchRecord | undefined;
    const hang: RunFn = async (key, _folder, _uids, launch) => {
      // Written to state.json before the machine is launched.
      recorded = (await state(key)).runs[0]!.launch;
      launches.push(launch);
      return new Promise<GroupRunResult>(() => undefined);
    };
    const a = node({ run: hang, driver: { driver: 'container', engine: 'podman' } });
    await a.node.start();
    const fed = await feedSeries(spool, dir, { seed: 7, instances: 1 });
    await a.node.committed([fed.group]);
    await until(() => launches.length === 1, 'the run to start');
    a.node.stop(); // berth is SIGKILLed here: the machine may run on
    expect(recorded).to.deep.include({ driver: 'container', engine: 'podman' });
    expect(recorded!.runId).to.match(/^[0-9a-f-]{36}$/);
    expect(launches[0]).to.deep.equal(recorded);
    const stopped: LaunchRecord[] = [];
    let ranAfterStop = false;
    const b = node({
      driver: { driver: 'container', engine: 'podman' },
      stopOrphan: (l) => {
        stopped.push(l);
        return Promise.resolve(['removed the container']);
      },
      run: (_key, _folder, _uids, launch) => {
        ranAfterStop = stopped.length === 1;
        launches.push(launch);
        return Promise.resolve(PASSED);
      },
    });
    await b.node.start();
    expect(stopped).to.deep.equal([recorded]);
    await until(async () => (await state(fed.group.key)).status === 'sent', 'the run taken up');
    expect(ranAfterStop).to.equal(true);
    expect(launches[1]!.runId).to.not.equal(recorded!.runId); // each attempt its own id
    expect(b.log.events.map((e) => e.event)).to.include('run.orphan-stopped');
  });

  it('fails a run that berth was stopped in twice instead of starting it a third time', async () => {
    const hang: RunFn = () => new Promise<GroupRunResult>(() => undefined);
    const fed = await feedSeries(spool, dir, { seed: 5, instances: 1 });
    for (let i = 0; i < 2; i++) {
      const x = node({ run: hang });
      await x.node.start();
      if (i === 0) await x.node.committed([fed.group]);
      await until(async () => (await state(fed.group.key)).runs[0]?.attempts === i + 1, `attempt ${i + 1}`);
      x.node.stop();
    }
    const last = node();
    await last.node.start();
    const s = await state(fed.group.key);
    expect(s.status).to.equal('failed');
    expect(s.runs[0]!.outcome).to.equal('crashed');
    expect(last.runs).to.have.length(0);
  });

  it('delays delivery while the destination is down and delivers once it is back, with back-off between attempts', async () => {
    let calls = 0;
    const deliver: DeliverFn = () => {
      calls++;
      return calls <= 2
        ? Promise.reject(new BerthError('BERTH_E_LISTEN_DELIVERY', 'connection refused'))
        : Promise.resolve();
    };
    const { node: n, log } = node({ deliver, retry: { initialMs: 100, maxMs: 1000, attempts: 10 } });
    await n.start();
    const fed = await feedSeries(spool, dir, { seed: 6, instances: 1 });
    await n.committed([fed.group]);
    await until(
      async () => (await state(fed.group.key)).status === 'sent',
      'delivery after the destination is back',
    );
    const d = (await state(fed.group.key)).runs[0]!.deliveries[0]!;
    expect(d).to.include({ status: 'delivered', attempts: 3, lastError: 'connection refused' });
    const failures = log.events.filter((e) => e.event === 'delivery.failed');
    expect(failures).to.have.length(2);
    const gap = Date.parse(String(failures[1]!['retryAt'])) - Date.parse(String(failures[0]!['retryAt']));
    expect(gap).to.be.at.least(100); // the second wait (200 ms) is longer than the first (100 ms)
  });

  it('marks a not-applicable group as such and sends nothing', async () => {
    let delivered = 0;
    const run: RunFn = () =>
      Promise.resolve({
        outcome: 'not-applicable',
        reason: 'modality MR',
        dicomOutputs: [],
        otherOutputs: [],
      });
    const { node: n } = node({ run, deliver: () => Promise.resolve(void delivered++) });
    await n.start();
    const fed = await feedSeries(spool, dir, { seed: 7, instances: 1, modality: 'MR' });
    await n.committed([fed.group]);
    await until(async () => (await state(fed.group.key)).status === 'not-applicable', 'not-applicable');
    expect(delivered).to.equal(0);
    expect((await state(fed.group.key)).runs[0]!.deliveries).to.deep.equal([]);
  });

  it('with pruneAfterMs, removes a sent group’s instances and run data once settled that long, keeps its state and report, and never a failed group’s', async () => {
    /** A run that snapshots its instances and writes a report, as runGroup does. */
    const run =
      (outcome: string): RunFn =>
      async (key, folder, uids) => {
        const dirOf = path.join(spool.group(key).runs, folder);
        await mkdir(path.join(dirOf, 'received'), { recursive: true });
        for (const uid of uids)
          await link(
            path.join(spool.group(key).instances, `${uid}.dcm`),
            path.join(dirOf, 'received', `${uid}.dcm`),
          );
        await writeFile(path.join(dirOf, 'report.json'), '{}');
        return { ...PASSED, outcome };
      };
    const ok = await feedSeries(spool, dir, { seed: 9, instances: 2 });
    const bad = await feedSeries(spool, dir, { seed: 10, instances: 2 });
    const outcomes = new Map([
      [ok.group.key, 'passed'],
      [bad.group.key, 'machine-error'],
    ]);
    const { node: n, log } = node({
      pruneAfterMs: 300,
      run: (key, folder, uids) => run(outcomes.get(key)!)(key, folder, uids),
    });
    await n.start();
    await n.committed([ok.group, bad.group]);
    await until(async () => (await state(ok.group.key)).prunedAt !== undefined, 'the prune', 10_000);
    const g = spool.group(ok.group.key);
    expect(await readdir(g.instances)).to.deep.equal([]);
    expect(await readdir(path.join(g.runs, 'r1'))).to.deep.equal(['report.json']);
    expect((await state(ok.group.key)).status).to.equal('sent');
    expect((await state(bad.group.key)).status).to.equal('failed');
    expect(await readdir(spool.group(bad.group.key).instances)).to.have.length(2);
    expect(log.events.filter((e) => e.event === 'group.pruned')).to.deep.equal([
      { event: 'group.pruned', group: ok.group.key, instances: 2, runFolders: 1 },
    ]);
  });

  it('keeps the hash of the SOP Instance UID set it ran on in state.json', async () => {
    const { node: n } = node();
    await n.start();
    const fed = await feedSeries(spool, dir, { seed: 8, instances: 2 });
    await n.committed([fed.group]);
    await until(async () => (await state(fed.group.key)).status === 'sent', 'sent');
    const text = await readFile(spool.group(fed.group.key).state, 'utf8');
    expect(JSON.parse(text).runs[0].setHash).to.equal(setHash(fed.series.files.map((f) => f.sopInstanceUid)));
  });
  it('completes a group the moment its idle window ends, not at the next periodic look', async () => {
    let ranAt = 0;
    const run: RunFn = () => {
      ranAt = Date.now();
      return Promise.resolve(PASSED);
    };
    // A periodic look every 10 s: only the look armed for the window's end can start the run in time.
    const { node: n } = node({ idleMs: 300, tickMs: 10_000, run });
    await n.start();
    const { group } = await feedSeries(spool, dir, { seed: 11, instances: 2 });
    await n.committed([group]);
    const received = Date.parse((await state(group.key)).lastReceivedAt);
    await until(() => ranAt > 0, 'the run', 5000);
    const late = ranAt - received - 300;
    expect(late, `ran ${late} ms after the window`).to.be.within(0, 1500);
  });
});
