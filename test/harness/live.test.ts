import { expect } from 'chai';
import { liveDisplay } from '../../src/harness/live.js';

/** A stream that records what is written, as a terminal or a pipe. */
function recorder(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, write: (s: string) => (written.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('harness/live', () => {
  it("never writes a machine's escape sequences to the terminal: its warnings show them as \\xNN", () => {
    for (const tty of [true, false]) {
      const { stream, written } = recorder(tty);
      const live = liveDisplay(stream, 'm');
      live.onEvent({
        type: 'status',
        status: { progress: 10, warnings: ['\x1b]0;pwned\x07\x1b[2Jgone \x9b2J'], error: null },
      });
      live.done();
      const all = written.join('');
      expect(all).to.include('warning: \\x1b]0;pwned\\x07\\x1b[2Jgone \\x9b2J');
      expect(all).not.to.include('\x1b]0;');
      expect(all).not.to.include('\x1b[2J');
      expect(all).not.to.include('\x9b');
    }
  });
});
