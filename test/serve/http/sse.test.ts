import { expect } from 'chai';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import { rmSync } from 'node:fs';
import { startGateway } from '../../../src/serve/http/gateway.js';
import { RunLog } from '../../../src/serve/http/run-log.js';
import { streamRunEvents } from '../../../src/serve/http/sse.js';
import { codeOfAsync } from '../../support/codes.js';
import { tinyMachine } from '../../support/gateway.js';

/** A bare HTTP server that streams `GET /<id>` from `runs`, keeping each response for inspection. */
async function eventServer(
  runs: RunLog,
  maxBufferedBytes: number,
): Promise<{ server: Server; port: number; responses: ServerResponse[] }> {
  const responses: ServerResponse[] = [];
  const server = createServer((req, res) => {
    responses.push(res);
    streamRunEvents(runs, res, {
      runId: (req.url ?? '/').slice(1),
      lastEventId: 0,
      heartbeatMs: 60_000,
      maxBufferedBytes,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, responses };
}

/** A raw client that sends the request and reads nothing until told. */
async function rawSubscribe(port: number, id: string): Promise<{ socket: Socket; received: Buffer[] }> {
  const socket = connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(`GET /${id} HTTP/1.1\r\nHost: x\r\n\r\n`);
  return { socket, received };
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('serve/http/sse', function () {
  this.timeout(30_000);
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('drops a client that stops reading once the bytes waiting for it would pass the bound, with a dropped event', async () => {
    const runs = new RunLog();
    const bound = 256 * 1024;
    const { server, port, responses } = await eventServer(runs, bound);
    servers.push(server);
    runs.begin('slow');
    // A client that takes the headers, then reads nothing more (its socket stops at 16 KiB).
    const reply = await new Promise<IncomingMessage>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/slow`, (r) => {
        r.pause();
        resolve(r);
      }).on('error', reject);
    });
    sockets.push(reply.socket);
    await until(() => responses.length === 1, 5_000, 'the subscription');
    const res = responses[0]!;
    const note = 'x'.repeat(8 * 1024);
    let most = 0;
    let published = 0;
    // 20,000 × 8 KiB is far more than loopback's socket buffers take: the drop must come first.
    while (!res.writableEnded && published < 20_000) {
      runs.publish('slow', 'stage', { runId: 'slow', stage: 'running', note });
      published++;
      most = Math.max(most, res.writableLength);
      await tick();
    }
    expect(res.writableEnded, 'the stream ended').to.equal(true);
    // The bound, plus the drop notice itself.
    expect(most).to.be.at.most(bound + 1024);
    const received: Buffer[] = [];
    reply.on('data', (b: Buffer) => received.push(b));
    const ended = new Promise<void>((resolve) => reply.once('end', resolve));
    reply.resume();
    await ended;
    const client = { received };
    const text = Buffer.concat(client.received).toString('utf8');
    const frames = text.split('\n\n').filter((f) => f.includes('event: '));
    const last = frames[frames.length - 1]!;
    expect(last).to.match(/^: dropped\nevent: dropped\ndata: /);
    const data = JSON.parse(last.slice(last.indexOf('data: ') + 6)) as Record<string, unknown>;
    expect(data['reason']).to.match(/did not read.*at most 262144/);
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids.length).to.be.greaterThan(0).and.lessThan(published);
    expect(data['lastEventId']).to.equal(ids[ids.length - 1]);
    runs.close();
  });

  it('keeps a client that reads, however many events go by', async () => {
    const runs = new RunLog();
    const { server, port } = await eventServer(runs, 64 * 1024);
    servers.push(server);
    runs.begin('fast');
    const reply = await new Promise<IncomingMessage>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/fast`, resolve).on('error', reject);
    });
    sockets.push(reply.socket);
    const received: Buffer[] = [];
    reply.on('data', (b: Buffer) => received.push(b));
    const ended = new Promise<void>((resolve) => reply.once('end', resolve));
    for (let i = 0; i < 1_000; i++) {
      runs.publish('fast', 'stage', { runId: 'fast', stage: 'running', note: 'y'.repeat(1024) });
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    runs.publish('fast', 'outcome', { runId: 'fast', outcome: 'passed' });
    await ended;
    const text = Buffer.concat(received).toString('utf8');
    expect(text).not.to.contain('event: dropped');
    expect(text).to.contain('event: outcome');
    runs.close();
  });

  it('frees the slot of a waiting run id as soon as its subscriber disconnects', async () => {
    const runs = new RunLog({ maxPending: 2 });
    const { server, port } = await eventServer(runs, 64 * 1024);
    servers.push(server);
    const a = await rawSubscribe(port, 'wait-a');
    const b = await rawSubscribe(port, 'wait-b');
    sockets.push(a.socket, b.socket);
    await until(
      () => runs.stateOf('wait-a') === 'pending' && runs.stateOf('wait-b') === 'pending',
      5_000,
      'both',
    );
    expect(runs.accepts('wait-c')).to.equal(false);
    a.socket.destroy();
    b.socket.destroy();
    await until(() => runs.accepts('wait-c'), 2_000, 'a free slot');
    expect(runs.stateOf('wait-a')).to.equal(undefined);
    runs.close();
  });

  it('the gateway refuses an eventBufferBytes that is not a positive integer, before listening', async () => {
    const dir = tinyMachine();
    try {
      for (const eventBufferBytes of [0, -1, 1.5]) {
        expect(await codeOfAsync(startGateway({ machine: dir, port: 0, eventBufferBytes }))).to.equal(
          'BERTH_E_USAGE',
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
