import { expect } from 'chai';
import { runPool } from '../../src/batch/pool.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('batch/pool', () => {
  it('runs every job with at most N at once, taking them in order', async () => {
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await runPool(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (i) => {
        order.push(i);
        most = Math.max(most, ++running);
        await tick();
        running--;
      },
      { stopping: false },
    );
    expect(order).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
    expect(most).to.equal(3);
  });

  it('once stopping, starts no other job but lets the started ones finish', async () => {
    const control = { stopping: false };
    const finished: number[] = [];
    await runPool(
      Array.from({ length: 10 }, (_, i) => i),
      2,
      async (i) => {
        if (i === 3) control.stopping = true;
        await tick();
        finished.push(i);
      },
      control,
    );
    expect(finished.sort()).to.deep.equal([0, 1, 2, 3]);
  });

  it('throws the first error of a job once the running jobs have ended, starting no other', async () => {
    const started: number[] = [];
    let error: unknown;
    await runPool(
      Array.from({ length: 10 }, (_, i) => i),
      2,
      async (i) => {
        started.push(i);
        await tick();
        if (i === 1) throw new Error('disk full');
      },
      { stopping: false },
    ).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('disk full');
    expect(started.length).to.be.below(5);
  });
});
