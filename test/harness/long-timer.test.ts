import { expect } from 'chai';
import { MAX_TIMER_MS, setLongTimeout } from '../../src/harness/long-timer.js';

describe('harness: long timers', () => {
  it('a delay beyond 2³¹ ms has not fired after a few ordinary timer turns (Node alone fires it after 1 ms)', async () => {
    let fired = false;
    const t = setLongTimeout(() => (fired = true), MAX_TIMER_MS + 1000);
    await new Promise((r) => setTimeout(r, 30));
    t.clear();
    expect(fired).to.equal(false);
  });

  it('an ordinary delay fires once', async () => {
    let count = 0;
    await new Promise<void>((resolve) => {
      setLongTimeout(() => {
        count++;
        resolve();
      }, 5);
    });
    expect(count).to.equal(1);
  });

  it('a cleared timer never fires, and an infinite delay is never armed', async () => {
    let fired = false;
    setLongTimeout(() => (fired = true), 5).clear();
    setLongTimeout(() => (fired = true), Infinity);
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).to.equal(false);
  });
});
