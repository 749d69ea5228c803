import { expect } from 'chai';
import { RunLog, type LoggedEvent } from '../../../src/serve/http/run-log.js';

const quiet = { send: () => undefined, end: () => undefined };

describe('serve/http/run-log', () => {
  it('1,000 throw-away subscriptions leave every slot free for the next subscriber', () => {
    const log = new RunLog({ retentionMs: 5 * 60_000, maxPending: 1000 });
    for (let i = 0; i < 1000; i++) {
      const off = log.subscribe(`gone-${i}`, quiet);
      expect(off).to.be.a('function');
      off!();
    }
    expect(log.accepts('next')).to.equal(true);
    expect(log.stateOf('gone-0')).to.equal(undefined);
    // Slots are still bounded while subscribers stay.
    for (let i = 0; i < 1000; i++) log.subscribe(`held-${i}`, quiet);
    expect(log.subscribe('one-more', quiet)).to.equal(undefined);
    log.close();
  });

  it('a refused post nobody subscribed to holds no slot; with a subscriber it waits for a retry', () => {
    const log = new RunLog({ maxPending: 1 });
    expect(log.begin('refused')).to.equal(true);
    log.reject('refused', { status: 429 });
    expect(log.stateOf('refused')).to.equal(undefined);
    expect(log.accepts('other')).to.equal(true);
    const seen: LoggedEvent[] = [];
    const off = log.subscribe('watched', { send: (e) => seen.push(e), end: () => undefined });
    log.begin('watched');
    log.reject('watched', { status: 429 });
    expect(log.stateOf('watched')).to.equal('pending');
    expect(seen.map((e) => e.event)).to.deep.equal(['rejected']);
    off!();
    expect(log.stateOf('watched')).to.equal(undefined);
    log.close();
  });

  it('a subscriber leaving a running run does not forget the run', () => {
    const log = new RunLog();
    const off = log.subscribe('r', quiet);
    log.begin('r');
    off!();
    expect(log.stateOf('r')).to.equal('active');
    expect(log.begin('r')).to.equal(false);
    log.close();
  });
});
