import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { recordOfError } from '../../src/batch/job.js';
import { lineProgress, terminalProgress } from '../../src/batch/progress.js';
import { diceRecord } from './fixture.js';

function sink(): { stream: PassThrough & { columns?: number }; text: () => string } {
  const stream = new PassThrough() as PassThrough & { columns?: number };
  let text = '';
  stream.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { stream, text: () => text };
}

describe('batch/progress', () => {
  it('writes one plain line per finished case, with the count so far, and one line per killed case', async () => {
    const { stream, text } = sink();
    const p = lineProgress(stream);
    p.start(3, 1, 0);
    p.began('a');
    p.ended(diceRecord('a', 0.95, 1200, 1e6), 'a');
    p.began('b');
    const t = new Date();
    p.ended(
      recordOfError(
        'b',
        '/b',
        { code: 'BERTH_E_CASE_FORMAT', message: 'bad\nsecond line' },
        { startedAt: t, finishedAt: t },
      ),
      'b',
    );
    p.ended(undefined, 'c');
    await new Promise((r) => setImmediate(r));
    const lines = text().trimEnd().split('\n');
    expect(lines[0]).to.equal('3 case(s), 1 already finished');
    expect(lines[1]).to.equal('ok    a: passed  1.20 s  [2/3]');
    expect(lines[2]).to.equal('FAIL  b: error — BERTH_E_CASE_FORMAT: bad second line  [3/3]');
    expect(lines[3]).to.equal('stop  c: killed, will run again on --resume');
  });

  it('redraws one terminal line with the bar, done, failed, running and an ETA', async () => {
    const { stream, text } = sink();
    stream.columns = 120;
    const p = terminalProgress(stream as unknown as NodeJS.WriteStream);
    p.start(4, 0, 0);
    p.began('a');
    p.began('b');
    p.ended(diceRecord('a', 0.5, 10, 1e6), 'a');
    p.finish();
    await new Promise((r) => setImmediate(r));
    const last = text().split('\r\x1b[K').pop()!;
    expect(last).to.match(/^\[######\.{18}\] 1\/4 done · 1 failed · 1 running · ETA \d/);
    expect(text().endsWith('\n')).to.equal(true);
  });
});
