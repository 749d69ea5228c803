import { expect } from 'chai';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { withSocketBackpressure } from '../../src/net/dimse-association.js';

/** A stand-in for the association's socket: only pause/resume matter here. */
function fakeSocket() {
  let paused = false;
  return {
    pause: () => (paused = true),
    resume: () => (paused = false),
    isPaused: () => paused,
  };
}

/** A file-like stream whose writes complete only when `flush()` is called. */
function slowStream() {
  const pending: (() => void)[] = [];
  const stream = new Writable({ highWaterMark: 4, write: (_c, _e, cb) => void pending.push(cb) });
  const flush = () => {
    while (pending.length > 0) pending.shift()!();
  };
  return { stream, flush };
}

describe('net/dimse-association', () => {
  it('pauses the socket while the instance file is behind and resumes it on drain', async () => {
    const sock = fakeSocket();
    const { stream, flush } = slowStream();
    const s = withSocketBackpressure(stream, sock as unknown as Socket);
    expect(s.write(Buffer.alloc(16))).to.equal(true);
    expect(sock.isPaused()).to.equal(true);
    flush();
    await new Promise((r) => setImmediate(r));
    expect(sock.isPaused()).to.equal(false);
  });

  it('resumes the socket when the stream ends while paused (no drain comes then)', async () => {
    const sock = fakeSocket();
    const { stream, flush } = slowStream();
    const s = withSocketBackpressure(stream, sock as unknown as Socket);
    s.write(Buffer.alloc(16));
    // dcmjs-dimse ends the stream right after the data set's last fragment.
    s.end();
    expect(sock.isPaused()).to.equal(true);
    flush();
    await new Promise((r) => s.once('finish', r));
    await new Promise((r) => setImmediate(r));
    expect(sock.isPaused()).to.equal(false);
  });
});
