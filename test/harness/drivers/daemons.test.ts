import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadCase } from '../../../src/harness/case.js';
import type { Driver } from '../../../src/harness/drivers/driver.js';
import { processDriver } from '../../../src/harness/drivers/process.js';
import { sandboxDriver } from '../../../src/harness/drivers/sandbox.js';
import { resolveMachine } from '../../../src/harness/machine.js';
import { runCase } from '../../../src/harness/run.js';
import { BWRAP_PEER } from '../../support/bwrap.js';
import { requirePeer } from '../../support/peers.js';

/** Live processes (not zombies: those have an empty command line) whose command line holds `tag`. */
function processesWith(tag: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').includes(tag)) found.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/**
 * Machines that leave daemons behind — in their process group, `setsid`'d out of it, or out of
 * it with a cleared environment — each holding the machine's stdout. None may hold the run
 * (issue 11, item 5): the run ends within the capture grace, and every daemon a driver can
 * stop is gone afterwards.
 */
describe('harness/drivers: daemons a machine leaves behind', function () {
  this.timeout(60_000);
  let dir: string;
  const leftovers: number[] = [];
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-daemons-'));
    await writeFile(
      path.join(dir, 'machine.yaml'),
      'metadata-version: 2\ninfo: {name: daemons}\nschema-in:\n  value: {type: string}\nschema-out:\n  count: {type: integer}\ntimeout: 1\n',
    );
    await writeFile(path.join(dir, 'case.yaml'), 'inputs:\n  value: hello\n');
  });
  after(async () => {
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `sh -c script` (with $TAG set to a unique sleep length) and returns report + tag. */
  async function run(driver: Driver, script: string) {
    const tag = `${900 + Math.floor(Math.random() * 99)}.${Date.now() % 100000}`;
    const machine = await resolveMachine(dir);
    const t0 = performance.now();
    const result = await runCase({
      definition: machine.definition,
      machineDir: dir,
      case: await loadCase(path.join(dir, 'case.yaml')),
      driver,
      command: ['/bin/sh', '-c', script.replaceAll('$TAG', tag)],
    });
    const ms = performance.now() - t0;
    await result.cleanup();
    return { report: result.report, tag, ms };
  }

  const WRITE = 'echo 5 > "$BERTH_OUTPUT/count"';
  const cases = [
    { name: 'a background child in its group', daemon: 'sleep $TAG &' },
    { name: 'a setsid daemon', daemon: 'setsid sleep $TAG &' },
    { name: 'a setsid daemon that double-forks', daemon: "setsid sh -c 'sleep $TAG & exit 0' &" },
  ];

  for (const [driverName, driver] of [
    ['process', processDriver],
    ['sandbox', sandboxDriver],
  ] as const) {
    describe(`the ${driverName} driver`, () => {
      before(async function () {
        if (driver === sandboxDriver) await requirePeer(this, BWRAP_PEER);
      });
      for (const c of cases) {
        it(`${c.name} holding stdout neither holds the run past the grace nor survives it`, async () => {
          const { report, tag, ms } = await run(driver, `${c.daemon}\nsleep 0.3\n${WRITE}\necho done`);
          leftovers.push(...processesWith(tag));
          expect(report.outcome, report.reason).to.equal('passed');
          expect(report.stdout?.tail).to.include('done');
          expect(ms, 'bounded by the 2 s capture grace').to.be.below(8000);
          expect(processesWith(tag), 'daemon still running').to.deep.equal([]);
        });
      }
    });
  }

  it('process driver: a daemon that leaves the session and clears its environment ends the run within the grace, and the notices say what berth could not stop', async () => {
    const { report, tag, ms } = await run(
      processDriver,
      `setsid env -i sleep $TAG &\nsleep 0.3\n${WRITE}\necho done`,
    );
    leftovers.push(...processesWith(tag));
    expect(report.outcome, report.reason).to.equal('passed');
    expect(ms).to.be.below(8000);
    expect(report.notices.join('\n')).to.match(/stdout and stderr stayed open/);
    expect(report.notices.join('\n')).to.match(/cannot stop a process that leaves the machine's session/);
  });

  it('process driver: the timeout stays in force while a daemon holds the pipes and the machine itself sleeps', async () => {
    const machine = await resolveMachine(dir);
    const t0 = performance.now();
    const result = await runCase({
      definition: machine.definition,
      machineDir: dir,
      case: await loadCase(path.join(dir, 'case.yaml')),
      driver: processDriver,
      command: ['/bin/sh', '-c', 'setsid env -i sleep 977.5 & exec sleep 60'],
      timeoutMs: 500,
    });
    const ms = performance.now() - t0;
    leftovers.push(...processesWith('977.5'));
    await result.cleanup();
    expect(result.report.outcome).to.equal('timeout');
    expect(ms).to.be.below(8000);
  });
});
