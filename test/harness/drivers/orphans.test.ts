import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { stopOrphan } from '../../../src/harness/drivers/orphans.js';
import { processDriver } from '../../../src/harness/drivers/process.js';
import { newRunId, RUN_ID_VARIABLE } from '../../../src/harness/drivers/sweep.js';
import { makeRun, removeRun, specOf, waitFor, type RunDirs } from './helpers.js';

/** Live (not zombie) processes whose command line holds `tag`. */
function liveWith(tag: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const stat = readFileSync(`/proc/${n}/stat`, 'latin1');
        const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
        return state !== 'Z' && readFileSync(`/proc/${n}/cmdline`, 'latin1').split('\0').includes(tag);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A `sleep` argument no other process has: 300 seconds and a unique fraction. */
const uniqueSleep = (): string =>
  `${300 + Math.floor(Math.random() * 99)}.${process.pid}${Date.now() % 100000}`;

describe('harness/drivers/orphans', function () {
  this.timeout(30_000);
  let dirs: RunDirs | undefined;
  afterEach(async () => {
    await removeRun(dirs);
    dirs = undefined;
  });

  it('stops, by its run id alone, a process-driver machine berth no longer watches, and what it started with setsid', async () => {
    dirs = await makeRun({});
    const runId = newRunId();
    const tag = uniqueSleep();
    const script = `setsid sleep ${tag} & sleep ${tag}`;
    const launched = await processDriver.launch(specOf(dirs, ['/bin/sh', '-c', script], { runId }));
    expect(await waitFor(() => liveWith(tag).length === 2, 10_000)).to.equal(true);
    // Another run's machine, which must survive.
    const otherTag = uniqueSleep();
    const other = spawn('sleep', [otherTag], {
      env: { ...process.env, [RUN_ID_VARIABLE]: newRunId() },
      stdio: 'ignore',
    });
    try {
      const notes = await stopOrphan({ driver: 'process', runId });
      expect(notes.join('\n')).to.match(/stopped [2-9] process\(es\)/);
      expect(await waitFor(() => liveWith(tag).length === 0, 5000)).to.equal(true);
      expect(liveWith(otherTag)).to.deep.equal([other.pid]);
      expect(
        await waitFor(() => launched.child.exitCode !== null || launched.child.signalCode !== null, 5000),
      ).to.equal(true);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('finds nothing to stop when the machine has ended, and stops nothing for an id that is not a run id', async () => {
    expect(await stopOrphan({ driver: 'process', runId: newRunId() })).to.deep.equal([]);
    const notes = await stopOrphan({ driver: 'process', runId: '../x' });
    expect(notes.join('')).to.contain('not a run id');
  });

  it('finds no container to remove when the engine has none by that name, or no daemon, or is not installed', async () => {
    expect(await stopOrphan({ driver: 'container', runId: newRunId(), engine: 'docker' })).to.deep.equal([]);
  });

  it('stops nothing for a driver it does not know, and says so', async () => {
    const notes = await stopOrphan({ driver: 'warp', runId: newRunId() });
    expect(notes).to.have.length(1);
    expect(notes[0]).to.include('unknown driver "warp"');
  });

  it('has nothing to do for the sandbox driver (bwrap dies with berth)', async () => {
    expect(await stopOrphan({ driver: 'sandbox', runId: newRunId() })).to.deep.equal([]);
  });
});
