/**
 * The gateway's own bounds (src/serve/http/gateway.ts): a queued request's body is not read until
 * its request holds a run slot; every refusal, fastify's and Node's included, is berth's JSON error
 * with a code; the document limits are the gateway's options.
 */
import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import { rmSync } from 'node:fs';
import { startGateway, type Gateway } from '../../../src/serve/http/gateway.js';
import { postJson, tinyMachine } from '../../support/gateway.js';

const BODY = 32 * 1024 * 1024;

/** A JSON body of `size` bytes: the document padded with spaces. */
function padded(doc: unknown, size: number): Buffer {
  const body = Buffer.alloc(size, 0x20);
  body.write(JSON.stringify(doc), 0);
  return body;
}

/** POSTs a body without waiting for it to be sent. */
function bigPost(url: string, body: Buffer): { req: http.ClientRequest; status: Promise<number> } {
  const size = body.byteLength;
  const req = http.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(size) },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  req.end(body);
  return { req, status };
}

/** Sends raw bytes and returns the whole answer text (the server closes the connection). */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(text));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('close', () => resolve(out));
    socket.on('error', () => resolve(out));
  });
}

describe('serve/http: gateway bounds', function () {
  this.timeout(120_000);
  let dir: string;
  let gw: Gateway;

  before(async () => {
    dir = tinyMachine();
    gw = await startGateway({
      machine: dir,
      port: 0,
      concurrency: 1,
      queue: 3,
      maxBodyBytes: 64 * 1024 * 1024,
      maxEntries: 2,
      closeGraceMs: 200,
    });
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not read the bodies of queued requests: 3 × 32 MiB wait in their sockets until a slot frees', async () => {
    const held = postJson(`${gw.url}/invocations`, { value: 'hold', 'delay-ms': 2500 });
    await new Promise((r) => setTimeout(r, 300));
    const bodies = [0, 1, 2].map((i) => padded({ value: `q${i}` }, BODY));
    const before = process.memoryUsage().arrayBuffers;
    const queued = bodies.map((body) => bigPost(`${gw.url}/invocations`, body));
    await new Promise((r) => setTimeout(r, 1000));
    expect(gw.admitted()).to.equal(4);
    for (const { req } of queued) {
      // Most of each body still waits in the client: the kernel took a few MB of socket buffers at most.
      expect(req.socket?.writableLength ?? 0).to.be.above(BODY / 2);
    }
    // Nor does the process hold their bytes (loosely: less than two of the three bodies more).
    expect(process.memoryUsage().arrayBuffers - before).to.be.below(BODY * 2);
    // A body declared over --max-body is refused at once, without waiting for the busy slot.
    const over = await fetch(`${gw.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(64 * 1024 * 1024 + 1, 0x20),
    });
    expect(over.status).to.equal(413);
    expect(((await over.json()) as { error: { code: string } }).error.code).to.equal(
      'BERTH_E_HTTP_TOO_LARGE',
    );
    expect((await held).status).to.equal(200);
    expect(await Promise.all(queued.map((q) => q.status))).to.deep.equal([200, 200, 200]);
    expect(gw.admitted()).to.equal(0);
  });

  it('answers fastify and Node refusals in berth error format: bad HTTP, bad URL, huge headers, 404', async () => {
    const answers = await Promise.all([
      raw(gw.port, 'GARBAGE\r\n\r\n'),
      raw(gw.port, 'GET /runs/%zz/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      raw(gw.port, `GET /ping HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`),
      raw(gw.port, 'OPTIONS /invocations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      raw(
        gw.port,
        'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: close\r\n\r\n0\r\n\r\n',
      ),
    ]);
    const parsed = answers.map((a) => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(a)?.[1]);
      const body = JSON.parse(a.slice(a.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
      return [status, body.error.code];
    });
    expect(parsed).to.deep.equal([
      [400, 'BERTH_E_HTTP_BAD_REQUEST'],
      [400, 'BERTH_E_HTTP_BAD_REQUEST'],
      [431, 'BERTH_E_HTTP_BAD_REQUEST'],
      [404, 'BERTH_E_HTTP_NOT_FOUND'],
      [400, 'BERTH_E_HTTP_BAD_REQUEST'],
    ]);
  });

  it('applies its document limits (maxEntries 2 here: 413) and refuses invalid UTF-8 in msgpack at its pointer', async () => {
    const many = await postJson(`${gw.url}/invocations`, { value: 'x', 'delay-ms': 0, fail: false });
    expect(many.status).to.equal(413);
    expect(many.json!['error']).to.deep.include({ code: 'BERTH_E_TOO_MANY_ENTRIES', path: '/fail' });
    const bad = await fetch(`${gw.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.concat([Buffer.of(0x81, 0xa5), Buffer.from('value'), Buffer.of(0xa3, 0x61, 0xff, 0x62)]),
    });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: unknown }).error).to.deep.include({
      code: 'BERTH_E_NOT_UTF8',
      path: '/value',
    });
  });
});
