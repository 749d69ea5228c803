import { existsSync, rmSync } from 'node:fs';
import { expect } from 'chai';
import { startGateway } from '../../../src/serve/http/gateway.js';
import { postJson, subscribe, tinyMachine } from '../../support/gateway.js';

describe('serve/http: graceful shutdown', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = tinyMachine();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the running run finishes and is answered, the queued one is refused, streams end, trees go', async () => {
    const gw = await startGateway({ machine: dir, port: 0, concurrency: 1, queue: 2, closeGraceMs: 200 });
    const waiting = subscribe(`${gw.url}/runs/not-yet/events`);
    expect(await waiting.ready).to.equal(200);
    const running = postJson(`${gw.url}/invocations`, { value: 'run', 'delay-ms': 800 });
    await new Promise((r) => setTimeout(r, 200));
    const queued = postJson(`${gw.url}/invocations`, { value: 'queued' });
    await new Promise((r) => setTimeout(r, 100));
    expect(gw.admitted()).to.equal(2);

    const closed = gw.close();
    const [a, b] = await Promise.all([running, queued]);
    expect(a.status).to.equal(200);
    expect((a.json!['outputs'] as Record<string, unknown>)['echo']).to.equal('run');
    expect(b.status).to.equal(503);
    expect((b.json!['error'] as Record<string, unknown>)['code']).to.equal('BERTH_E_HTTP_SHUTTING_DOWN');
    await closed;
    expect((await waiting.events).map((e) => e.event)).to.deep.equal(['shutdown']);
    expect(existsSync(gw.workRoot)).to.equal(false);
    const after = await fetch(`${gw.url}/ping`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(after).to.equal('refused');
  });
});
