import { expect } from 'chai';
import { Wakes } from '../../src/net/wakes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('net/wakes', () => {
  it('wakes once at the moment armed for a key, and re-arming the key moves that moment', async () => {
    const woken: number[] = [];
    const wakes = new Wakes(() => woken.push(Date.now()));
    const start = Date.now();
    wakes.arm('a', start + 60);
    wakes.arm('a', start + 60); // the same moment: still one
    wakes.arm('b', start + 20);
    wakes.arm('b', start + 120); // moved: nothing at 20 ms
    await sleep(200);
    expect(woken.map((t) => t - start >= 55)).to.deep.equal([true, true]);
    expect(woken[1]! - start).to.be.at.least(115);
    wakes.clear();
  });

  it('wakes at once for a moment already past, and never after clear', async () => {
    let woken = 0;
    const wakes = new Wakes(() => woken++);
    wakes.arm('past', Date.now() - 1000);
    wakes.arm('later', Date.now() + 30);
    await sleep(5);
    expect(woken).to.equal(1);
    wakes.clear();
    await sleep(60);
    expect(woken).to.equal(1);
  });
});
