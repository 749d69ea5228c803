import { expect } from 'chai';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { isBerthError } from '../../../src/errors.js';
import type { BerthError } from '../../../src/errors.js';
import { startEirServer } from '../../../src/serve/eir/index.js';
import { EirWire, connectToServer, resetServer, within } from '../../support/eir-client.js';
import type { JsonObj } from '../../support/eir-client.js';
import { FAST, WAIT, closeAll, connect, dataIds, ids, open, serve, sleep, until } from './helpers.js';
import { MemorySource, SEED_INFO } from './memory-source.js';

describe('serve/eir/server', function () {
  this.timeout(20_000);
  afterEach(closeAll);

  describe('handshake, on every connection', () => {
    it('answers {"type":"handshake","version":"1.0"} as a text frame', async () => {
      const server = await serve({ source: new MemorySource({ count: 3 }) });
      expect(server.url).to.match(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
      const wire = await open(server);
      const frames: { text: string; binary: boolean }[] = [];
      wire.ws.on('message', (data, isBinary) => frames.push({ text: String(data), binary: isBinary }));
      wire.send({ type: 'handshake', version: '1.0', worker_id: 0 });
      expect(await wire.next(WAIT)).to.deep.equal({ type: 'handshake', version: '1.0' });
      expect(frames).to.deep.equal([{ text: '{"type":"handshake","version":"1.0"}', binary: false }]);
    });

    it('refuses requests before the handshake with an error reply, and keeps the connection', async () => {
      const server = await serve({ source: new MemorySource({ count: 3 }) });
      const first = await connect(server);
      first.send({ type: 'getInfo' });
      expect(await first.next(WAIT)).to.deep.equal({
        type: 'info',
        payload: SEED_INFO as unknown as JsonObj,
      });
      await first.close();
      // A new connection starts un-handshaken even though an earlier one handshook.
      const second = await open(server);
      second.send({ type: 'getData', payload: { batch_size: 1 } });
      const refused = await second.next(WAIT);
      expect(refused['type']).to.equal('error');
      expect((refused['payload'] as JsonObj)['message']).to.match(/Handshake required first/);
      second.send({ type: 'handshake', version: '1.0', worker_id: 0 });
      expect(await second.next(WAIT)).to.deep.equal({ type: 'handshake', version: '1.0' });
      second.send({ type: 'getData', payload: { batch_size: 1 } });
      // The refused getData consumed nothing.
      expect(dataIds(await second.next(WAIT))).to.deep.equal(['sample_0000']);
    });

    it('answers a wrong version with an error reply, then closes that connection (1002)', async () => {
      const server = await serve({ source: new MemorySource({ count: 3 }) });
      const wire = await open(server);
      wire.send({ type: 'handshake', version: '2.0', worker_id: 0 });
      wire.send({ type: 'getData', payload: { batch_size: 1 } });
      const reply = await wire.next(WAIT);
      expect(reply['type']).to.equal('error');
      expect((reply['payload'] as JsonObj)['message']).to.match(/Incompatible protocol version.*"2\.0"/);
      await wire.waitClosed(WAIT);
      expect(wire.closeCode).to.equal(1002);
      expect(await wire.recv(100)).to.equal(null);
      // The server goes on, and the getData after the bad handshake consumed nothing.
      const next = await connect(server);
      next.send({ type: 'getData', payload: { batch_size: 1 } });
      expect(dataIds(await next.next(WAIT))).to.deep.equal(['sample_0000']);
      await expectRejected(
        connectToServer(server.url.replace('/ws', '/other'), FAST),
        /Unexpected server response: 400/,
      );
    });

    it('closes a connection that sends no handshake in time (1008)', async () => {
      const server = await serve({ source: new MemorySource({ count: 1 }), handshakeTimeoutMs: 150 });
      const wire = await open(server);
      await wire.waitClosed(WAIT);
      expect(wire.closeCode).to.equal(1008);
    });
  });

  describe('reset', () => {
    it('replies twice, resetConfirmation then reset, with and without a payload', async () => {
      const server = await serve({ source: new MemorySource({ count: 4 }) });
      const wire = await connect(server);
      const resets: JsonObj[] = [{ type: 'reset' }, { type: 'reset', payload: {} }];
      for (const message of resets) {
        wire.send({ type: 'getData', payload: { batch_size: 3 } });
        expect(dataIds(await wire.next(WAIT))).to.deep.equal(ids(0, 3));
        wire.send(message);
        expect(await wire.next(WAIT)).to.deep.equal({
          type: 'resetConfirmation',
          payload: { message: 'Reset successful' },
        });
        expect(await wire.next(WAIT)).to.deep.equal({
          type: 'reset',
          payload: { message: 'Reset command received' },
        });
        expect(await wire.recv(100)).to.equal(null);
      }
      // EIR's own reset connection: exactly two reads.
      const [a, b] = await resetServer(server.url, FAST);
      expect([a['type'], b['type']]).to.deep.equal(['resetConfirmation', 'reset']);
      expect(server.stream.status().resets).to.equal(3);
    });
  });

  describe('ordering', () => {
    it('answers pipelined requests strictly in order, though samples load out of order', async () => {
      const server = await serve({
        source: new MemorySource({ count: 40, maxDelayMs: 20 }),
        loadConcurrency: 8,
      });
      const wire = await connect(server);
      const script: [JsonObj | string, unknown][] = [
        [{ type: 'getInfo' }, 'info'],
        [{ type: 'getData', payload: { batch_size: 3 } }, ids(0, 3)],
        [{ type: 'heartbeat' }, 'heartbeat'],
        [{ type: 'getData', payload: { batch_size: 5 } }, ids(3, 8)],
        [{ type: 'status', payload: {} }, 'status'],
        [{ type: 'reset' }, 'resetConfirmation'],
        ['(second reset reply)', 'reset'],
        [{ type: 'getData', payload: { batch_size: 2 } }, ids(0, 2)],
        [
          { type: 'setValidationIds', payload: { validation_ids: ['sample_0002'] } },
          'validationIdsConfirmation',
        ],
        [{ type: 'getData', payload: { batch_size: 4 } }, ids(3, 7)],
        ['{bad json', 'error'],
        [{ type: 'heartbeat' }, 'heartbeat'],
        [{ type: 'getData', payload: { batch_size: 100 } }, ids(7, 40)],
        [{ type: 'getData', payload: { batch_size: 1 } }, 'terminate'],
        [{ type: 'getData', payload: { batch_size: 1 } }, 'terminate'],
        [{ type: 'getInfo' }, 'info'],
      ];
      for (const [message] of script) {
        if (typeof message !== 'string') wire.send(message);
        else if (!message.startsWith('(')) wire.sendRaw(message);
      }
      for (const [message, expected] of script) {
        const reply = await wire.next(WAIT, `the reply to ${JSON.stringify(message)}`);
        expect(dataIds(reply), JSON.stringify(message)).to.deep.equal(expected);
      }
    });

    it('shares one cursor between concurrent connections (EIR dataloader workers) without duplicates', async () => {
      const server = await serve({ source: new MemorySource({ count: 30, maxDelayMs: 5 }) });
      const [a, b] = [await connect(server), await connect(server)];
      const seen: string[] = [];
      const drain = async (wire: EirWire): Promise<void> => {
        for (let i = 0; i < 20; i++) {
          wire.send({ type: 'getData', payload: { batch_size: 2 } });
          const got = dataIds(await wire.next(WAIT));
          if (got === 'terminate') return;
          seen.push(...(got as string[]));
        }
      };
      await Promise.all([drain(a), drain(b)]);
      expect([...seen].sort()).to.deep.equal(ids(0, 30));
    });
  });

  describe('robustness', () => {
    it('answers every malformed message with an error reply and keeps the connection', async () => {
      const server = await serve({ source: new MemorySource({ count: 3 }), maxBatchSize: 500 });
      const wire = await connect(server);
      const bad: [string | Buffer, RegExp][] = [
        ['{not json', /not valid JSON/],
        ['', /not valid JSON/],
        ['[]', /must be a JSON object/],
        ['42', /must be a JSON object/],
        ['{"payload":{}}', /no "type" string/],
        ['{"type":"launchMissiles"}', /Unknown message type/],
        ['{"type":"getData"}', /getData needs a payload/],
        ['{"type":"getData","payload":{"batch_size":0}}', /from 1 to 500/],
        ['{"type":"getData","payload":{"batch_size":501}}', /from 1 to 500/],
        ['{"type":"getData","payload":{"batch_size":1e9}}', /from 1 to 500/],
        ['{"type":"getData","payload":{"batch_size":"64"}}', /from 1 to 500/],
        ['{"type":"setValidationIds","payload":{"validation_ids":[1,2]}}', /validation_ids/],
        ['{"type":"handshake"}', /"version" string/],
        [Buffer.from([0xc3, 0x28]), /UTF-8/],
        ['['.repeat(200_000), /not valid JSON/],
      ];
      for (const [frame] of bad) wire.sendRaw(frame, Buffer.isBuffer(frame));
      for (const [frame, pattern] of bad) {
        const reply = await wire.next(WAIT, `the error reply to ${String(frame).slice(0, 30)}`);
        expect(reply['type'], String(frame).slice(0, 30)).to.equal('error');
        expect((reply['payload'] as JsonObj)['message'], String(frame).slice(0, 30)).to.match(pattern);
      }
      wire.send({ type: 'getData', payload: { batch_size: 5 } });
      expect(dataIds(await wire.next(WAIT))).to.deep.equal(ids(0, 3));
      expect(server.stream.status().served).to.equal(3);
    });

    it('closes only the offending connection on an oversized message (1009)', async () => {
      const errors: BerthError[] = [];
      const server = await serve({
        source: new MemorySource({ count: 2 }),
        maxMessageBytes: 1024,
        onError: (e) => errors.push(e),
      });
      const big = await connect(server);
      big.sendRaw(JSON.stringify({ type: 'heartbeat', pad: 'x'.repeat(2000) }));
      await big.waitClosed(WAIT);
      expect(big.closeCode).to.equal(1009);
      const other = await connect(server);
      other.send({ type: 'heartbeat' });
      expect(await other.next(WAIT)).to.deep.equal({ type: 'heartbeat' });
      expect(errors.some((e) => e.code === 'BERTH_E_EIR_PROTOCOL')).to.equal(true);
    });

    it('survives a client that disconnects mid-batch', async () => {
      const errors: BerthError[] = [];
      const source = new MemorySource({ count: 100, delayMs: 30 });
      const server = await serve({ source, onError: (e) => errors.push(e) });
      for (let i = 0; i < 3; i++) {
        const quitter = await connect(server);
        quitter.send({ type: 'getData', payload: { batch_size: 20 } });
        quitter.send({ type: 'getData', payload: { batch_size: 20 } });
        await until(() => source.loads.length > i * 20, WAIT, 'loading to start');
        quitter.ws.terminate();
        await quitter.waitClosed(WAIT);
      }
      await until(() => server.stream.connections === 0, WAIT, 'the server to notice the disconnects');
      const wire = await connect(server);
      wire.send({ type: 'status', payload: {} });
      const status = (await wire.next(WAIT))['payload'] as JsonObj;
      expect(status['connections']).to.equal(1);
      wire.send({ type: 'getData', payload: { batch_size: 2 } });
      expect(dataIds(await wire.next(WAIT))).to.have.length(2);
      expect(errors).to.deep.equal([]);
    });

    it('answers with an error when a source gives a value JSON cannot hold, and goes on', async () => {
      const errors: BerthError[] = [];
      const source = new MemorySource({ count: 3 });
      const server = await serve({
        source: {
          info: () => source.info(),
          ids: () => source.ids(),
          sample: async (id) => {
            const sample = await source.sample(id);
            if (id !== 'sample_0001') return sample;
            return { ...sample, inputs: { ...sample.inputs, tabular_data: { big: 1n } as never } };
          },
        },
        onError: (e) => errors.push(e),
      });
      const wire = await connect(server);
      for (let i = 0; i < 3; i++) wire.send({ type: 'getData', payload: { batch_size: 1 } });
      expect(dataIds(await wire.next(WAIT))).to.deep.equal(ids(0, 1));
      const failed = await wire.next(WAIT);
      expect(failed['type']).to.equal('error');
      expect((failed['payload'] as JsonObj)['message']).to.match(/could not be serialised.*BigInt/);
      expect(dataIds(await wire.next(WAIT))).to.deep.equal(ids(2, 3));
      expect(errors.map((e) => e.code)).to.deep.equal(['BERTH_E_EIR_SOURCE']);
    });

    it('closes a connection whose unanswered requests exceed maxPendingRequests (1008)', async () => {
      const server = await serve({
        source: new MemorySource({ count: 100, delayMs: 50 }),
        maxPendingRequests: 5,
      });
      const wire = await connect(server);
      for (let i = 0; i < 20; i++) wire.send({ type: 'getData', payload: { batch_size: 1 } });
      await wire.waitClosed(WAIT);
      expect(wire.closeCode).to.equal(1008);
      expect(server.stream.status().served).to.be.lessThan(20);
    });

    it('stops producing for a client that does not read (back-pressure), then catches up in order', async () => {
      const source = new MemorySource({ count: 120, padBytes: 512 * 1024 });
      const server = await serve({ source, highWaterMarkBytes: 1024 * 1024 });
      const wire = await connect(server);
      wire.ws.pause();
      for (let i = 0; i < 120; i++) wire.send({ type: 'getData', payload: { batch_size: 1 } });
      await sleep(400);
      const servedWhilePaused = server.stream.status().served;
      // 120 × 512 KiB = 60 MiB requested; only the high-water mark plus kernel buffers may be out.
      expect(servedWhilePaused).to.be.greaterThan(0).and.lessThan(60);
      wire.ws.resume();
      for (let i = 0; i < 120; i++) expect(dataIds(await wire.next(WAIT))).to.deep.equal(ids(i, i + 1));
    });

    it('closes a client that stops reading but keeps sending (1008, with the reason), holding no more than its bounds', async () => {
      const source = new MemorySource({ count: 5000, padBytes: 256 * 1024 });
      const hwm = 1024 * 1024;
      const maxPending = 64 * 1024;
      const closed: BerthError[] = [];
      const server = await serve({
        source,
        highWaterMarkBytes: hwm,
        maxPendingBytes: maxPending,
        onError: (e) => closed.push(e),
      });
      const wire = await connect(server);
      wire.ws.pause();
      let most = 0;
      let sent = 0;
      // Far more requests than the bounds hold: 5,000 × 256 KiB of replies asked for.
      while (closed.length === 0 && sent < 5000) {
        wire.send({ type: 'getData', payload: { batch_size: 1 } });
        sent++;
        most = Math.max(most, server.bufferedBytes());
        if (sent % 20 === 0) await sleep(1);
      }
      await until(() => closed.length > 0, WAIT, 'the server closing the connection');
      // The high-water mark, one reply over it, and the waiting requests.
      expect(most).to.be.at.most(hwm + 300 * 1024 + maxPending);
      expect(server.stream.status().served).to.be.lessThan(100);
      expect(closed[0]!.message).to.match(/closed \(1008\): Client not reading/);
      wire.ws.resume();
      await wire.waitClosed(WAIT);
      expect(wire.closeCode).to.equal(1008);
      expect(wire.closeReason).to.match(/^Client not reading: \d+ bytes held for it$/);
      expect(server.bufferedBytes()).to.equal(0);
    });

    it('answers pings while the client reads, and queues no pongs for one that does not', async () => {
      const hwm = 256 * 1024;
      const server = await serve({
        source: new MemorySource({ count: 100, padBytes: 512 * 1024 }),
        highWaterMarkBytes: hwm,
      });
      const wire = await connect(server);
      const pong = new Promise<string>((resolve) =>
        wire.ws.once('pong', (d: Buffer) => resolve(d.toString())),
      );
      wire.ws.ping('hello');
      expect(await pong).to.equal('hello');
      wire.ws.pause();
      for (let i = 0; i < 40; i++) wire.send({ type: 'getData', payload: { batch_size: 1 } });
      await until(() => server.bufferedBytes() > hwm, WAIT, 'replies piling up');
      const before = server.bufferedBytes();
      // 20,000 pings of 100 bytes: with ws's automatic pongs, 2 MB more would wait for this client.
      const payload = Buffer.alloc(100);
      for (let i = 0; i < 20_000; i++) {
        wire.ws.ping(payload);
        if (i % 1000 === 0) await sleep(5);
      }
      await sleep(200);
      expect(wire.closed, 'the connection is still open').to.equal(false);
      expect(server.bufferedBytes() - before).to.be.below(64 * 1024);
    });

    it('reports what a plain HTTP request reaches', async () => {
      const server = await serve({ source: new MemorySource({ count: 1 }) });
      const status = await within(
        new Promise<number>((resolve, reject) => {
          request(`http://127.0.0.1:${server.port}/`, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
            .on('error', reject)
            .end();
        }),
        WAIT,
        'HTTP reply',
      );
      expect(status).to.equal(426);
    });

    it('refuses bad options and a source EIR could not use, before listening', async () => {
      await expectRejected(
        startEirServer({ source: new MemorySource({ count: 1 }), path: 'ws' }),
        /must start with/,
      );
      await expectRejected(
        startEirServer({ source: new MemorySource({ count: 1 }), maxBatchSize: 0 }),
        /maxBatchSize/,
      );
      const source = new MemorySource({ count: 1 });
      const broken = {
        info: () => ({ inputs: {}, outputs: { o: { type: 'array' as const } } }),
        ids: () => source.ids(),
        sample: (id: string) => source.sample(id),
      };
      const error = await expectRejected(startEirServer({ source: broken }), /outputs\.o\.shape/);
      expect(isBerthError(error) && error.code).to.equal('BERTH_E_EIR_SOURCE');
    });
  });

  describe('shared state across sequential connections', () => {
    it('keeps the cursor and validation ids over 20 sequential connections', async () => {
      const server = await serve({ source: new MemorySource({ count: 60 }) });
      const seen: string[] = [];
      for (let i = 0; i < 20; i++) {
        const wire = await connectToServer(server.url, FAST);
        if (i === 5) {
          wire.send({ type: 'setValidationIds', payload: { validation_ids: ids(50, 60) } });
          expect((await wire.next(WAIT))['type']).to.equal('validationIdsConfirmation');
        }
        wire.send({ type: 'getData', payload: { batch_size: 3 } });
        const got = dataIds(await wire.next(WAIT));
        if (Array.isArray(got)) seen.push(...got);
        else expect(got).to.equal('terminate');
        await wire.close();
      }
      expect(seen).to.deep.equal(ids(0, 50));
      await until(() => server.stream.connections === 0, WAIT, 'connections to close');
      expect(server.stream.status()).to.include({
        served: 50,
        validation: 10,
        exhausted: true,
        connections: 0,
      });
    });
  });

  describe('close', () => {
    it('terminates every client, frees the port, and leaves no handles behind', async () => {
      const before = countNetHandles();
      const server = await startEirServer({ source: new MemorySource({ count: 50, delayMs: 100 }) });
      const busy = await connectToServer(server.url, FAST);
      busy.send({ type: 'getData', payload: { batch_size: 10 } });
      const idle = await EirWire.open(server.url, WAIT);
      const { connect: tcpConnect } = await import('node:net');
      const raw = tcpConnect(server.port, '127.0.0.1');
      raw.on('error', () => undefined);
      await within(new Promise((r) => raw.once('connect', r)), WAIT, 'raw TCP connect');
      await within(server.close(), WAIT, 'close');
      await within(server.close(), WAIT, 'second close');
      await busy.waitClosed(WAIT);
      await idle.waitClosed(WAIT);
      await within(
        new Promise((r) => (raw.destroyed ? r(undefined) : raw.once('close', r))),
        WAIT,
        'raw close',
      );
      // The port is free again.
      const probe = createServer();
      await within(
        new Promise<void>((r) => probe.listen(server.port, '127.0.0.1', () => r())),
        WAIT,
        'listen again',
      );
      await within(new Promise((r) => probe.close(r)), WAIT, 'probe close');
      await sleep(150); // the slow source's pending loads finish and find no socket
      expect(countNetHandles()).to.be.at.most(before);
    });
  });
});

function countNetHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => /TCP|Pipe/.test(r)).length;
}

async function expectRejected(promise: Promise<unknown>, pattern: RegExp): Promise<unknown> {
  let caught: unknown;
  try {
    await within(promise, WAIT, 'rejection');
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a rejection').to.be.instanceOf(Error);
  expect((caught as Error).message).to.match(pattern);
  return caught;
}
