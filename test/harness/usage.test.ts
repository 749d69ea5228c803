import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { UsageSampler } from '../../src/harness/usage.js';

describe('harness: usage sampling', () => {
  it('measures a machine that ends before the first regular sample (120 ms of node)', async () => {
    const child = spawn(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 150) {}'], {
      stdio: 'ignore',
    });
    await new Promise((r) => child.once('spawn', r));
    const sampler = new UsageSampler(() => [child.pid!], 1000);
    sampler.start();
    await new Promise((r) => child.once('exit', r));
    const usage = await sampler.stop();
    // Node's own runtime takes tens of MiB: a figure from the sample at spawn time would not.
    expect(usage.peakRssBytes).to.be.greaterThan(10 * 1024 * 1024);
    expect(usage.cpuMs).to.be.greaterThan(0);
  });

  it('says "not sampled" (null) rather than a figure when only the sample at start saw the machine', async () => {
    let calls = 0;
    const sampler = new UsageSampler(() => (calls++ === 0 ? [process.pid] : []), 1000);
    sampler.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(await sampler.stop()).to.deep.equal({ cpuMs: null, peakRssBytes: null });
  });
});
