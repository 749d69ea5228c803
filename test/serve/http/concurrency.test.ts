import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startGateway, type Gateway } from '../../../src/serve/http/gateway.js';
import { postJson, tinyMachine } from '../../support/gateway.js';

describe('serve/http: bounded concurrency and queue', function () {
  this.timeout(120_000);
  let dir: string;
  let tmp: string;
  let workRoot: string;
  let shared: string;
  let gw: Gateway;

  before(async () => {
    dir = tinyMachine();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-gw-conc-'));
    workRoot = path.join(tmp, 'work');
    shared = path.join(tmp, 'shared');
    gw = await startGateway({
      machine: dir,
      port: 0,
      concurrency: 2,
      queue: 4,
      workRoot,
      env: { TINY_SHARED: shared },
      closeGraceMs: 200,
    });
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('64 requests at once against --concurrency 2 --queue 4: each a result or a 429, none lost, no tree left', async () => {
    mkdirSync(shared);
    const answers = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        postJson(`${gw.url}/invocations`, { value: `n${i}`, 'delay-ms': 50 }),
      ),
    );
    const ok = answers.filter((a) => a.status === 200);
    const busy = answers.filter((a) => a.status === 429);
    expect(ok.length + busy.length, answers.map((a) => a.status).join(',')).to.equal(64);
    // At least the slots and the queue were served; the rest were refused at once.
    expect(ok.length).to.be.at.least(6);
    expect(busy.length).to.be.at.least(1);
    for (const a of ok) {
      const outputs = a.json!['outputs'] as Record<string, unknown>;
      expect(String(outputs['echo'])).to.match(/^n[0-9]+$/);
      expect(outputs['length']).to.equal(String(outputs['echo']).length);
    }
    for (const a of busy) {
      expect((a.json!['error'] as Record<string, unknown>)['code']).to.equal('BERTH_E_HTTP_BUSY');
      expect(Number(a.headers.get('retry-after'))).to.be.at.least(1);
    }
    // Never more than two machines at once.
    const counts = readFileSync(path.join(shared, 'log'), 'utf8').trim().split('\n').map(Number);
    expect(counts.length).to.equal(ok.length);
    expect(Math.max(...counts)).to.be.at.most(2);
    // Every request tree is gone, and every place is free again.
    expect(readdirSync(workRoot)).to.deep.equal([]);
    expect(gw.admitted()).to.equal(0);
  });

  it('sequential waves all succeed once the queue drains', async () => {
    for (let wave = 0; wave < 3; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => postJson(`${gw.url}/invocations`, { value: `w${wave}-${i}` })),
      );
      expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200, 200, 200]);
    }
    expect(readdirSync(workRoot)).to.deep.equal([]);
  });

  it('a client that leaves while queued is dropped without running; nothing is left behind', async () => {
    const held = [0, 1].map((i) => postJson(`${gw.url}/invocations`, { value: `hold${i}`, 'delay-ms': 400 }));
    await new Promise((r) => setTimeout(r, 100));
    const controller = new AbortController();
    const left = fetch(`${gw.url}/invocations`, {
      method: 'POST',
      body: JSON.stringify({ value: 'gone' }),
      headers: { 'content-type': 'application/json' },
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    await left;
    const results = await Promise.all(held);
    expect(results.map((a) => a.status)).to.deep.equal([200, 200]);
    await new Promise((r) => setTimeout(r, 100));
    expect(gw.admitted()).to.equal(0);
    expect(readdirSync(workRoot)).to.deep.equal([]);
  });
});
