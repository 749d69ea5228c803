import { rmSync } from 'node:fs';
import { expect } from 'chai';
import { startGateway, type Gateway } from '../../../src/serve/http/gateway.js';
import { postJson, request, subscribe, tinyMachine, type SseEvent } from '../../support/gateway.js';

const stages = (events: SseEvent[]) => events.filter((e) => e.event === 'stage').map((e) => e.data['stage']);

describe('serve/http: run events (server-sent events)', function () {
  this.timeout(60_000);
  let dir: string;
  let gw: Gateway;

  before(async () => {
    dir = tinyMachine();
    gw = await startGateway({
      machine: dir,
      port: 0,
      concurrency: 1,
      queue: 0,
      eventRetentionMs: 2_000,
      closeGraceMs: 200,
    });
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('subscribe first, then post with that run id: stages, progress, and the outcome last', async () => {
    const sub = subscribe(`${gw.url}/runs/sse-1/events`);
    expect(await sub.ready).to.equal(200);
    const answer = await postJson(
      `${gw.url}/invocations`,
      { value: 'abc', 'delay-ms': 700 },
      { 'x-berth-run-id': 'sse-1' },
    );
    expect(answer.status).to.equal(200);
    expect(answer.json!['runId']).to.equal('sse-1');
    const events = await sub.events;
    expect(stages(events)).to.include.members([
      'queued',
      'decode',
      'materialise',
      'launch',
      'running',
      'encode',
    ]);
    const progress = events.filter((e) => e.event === 'status').map((e) => e.data['progress']);
    expect(progress).to.include(50);
    const last = events[events.length - 1]!;
    expect(last.event).to.equal('outcome');
    expect(last.data).to.include({ runId: 'sse-1', outcome: 'passed', status: 200, exitCode: 0 });
    // Ids increase, so a client can resume with Last-Event-ID.
    const ids = events.map((e) => Number(e.id));
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
  });

  it('subscribing during and after a run replays what happened and always ends with the outcome', async () => {
    const posted = postJson(
      `${gw.url}/invocations`,
      { value: 'x', 'delay-ms': 600 },
      { 'x-berth-run-id': 'sse-2' },
    );
    await new Promise((r) => setTimeout(r, 300));
    const during = subscribe(`${gw.url}/runs/sse-2/events`);
    expect((await posted).status).to.equal(200);
    const duringEvents = await during.events;
    expect(stages(duringEvents)[0]).to.equal('queued');
    expect(duringEvents[duringEvents.length - 1]!.event).to.equal('outcome');

    const after = await subscribe(`${gw.url}/runs/sse-2/events`).events;
    expect(after.map((e) => e.event)).to.deep.equal(duringEvents.filter(keptForReplay).map((e) => e.event));
    const resumed = await subscribe(`${gw.url}/runs/sse-2/events`, { 'last-event-id': after[1]!.id! }).events;
    expect(resumed.map((e) => e.id)).to.deep.equal(after.slice(2).map((e) => e.id));
  });

  it('a failed run ends with its outcome and error; a refused post (429) leaves the id free', async () => {
    const sub = subscribe(`${gw.url}/runs/sse-3/events`);
    await sub.ready;
    const blocker = postJson(`${gw.url}/invocations`, { value: 'x', 'delay-ms': 500 });
    await new Promise((r) => setTimeout(r, 150));
    const busy = await postJson(`${gw.url}/invocations`, { value: 'x' }, { 'x-berth-run-id': 'sse-3' });
    expect(busy.status).to.equal(429);
    await blocker;
    const failed = await postJson(
      `${gw.url}/invocations`,
      { value: 'x', fail: true },
      { 'x-berth-run-id': 'sse-3' },
    );
    expect(failed.status).to.equal(500);
    const events = await sub.events;
    const rejected = events.find((e) => e.event === 'rejected');
    expect(rejected?.data).to.deep.include({ status: 429 });
    const last = events[events.length - 1]!;
    expect(last.event).to.equal('outcome');
    expect(last.data).to.include({ outcome: 'machine-error', status: 500 });
    expect((last.data['error'] as Record<string, unknown>)['code']).to.equal('BERTH_E_HTTP_MACHINE_ERROR');
  });

  it('an id never posted expires after the retention time; a malformed id is 400', async () => {
    const events = await subscribe(`${gw.url}/runs/never-posted/events`).events;
    expect(events.map((e) => e.event)).to.deep.equal(['expired']);
    const bad = await request(`${gw.url}/runs/${encodeURIComponent('a b')}/events`);
    expect(bad.status).to.equal(400);
  });
});

/** Consecutive status events are kept as the last one only, for replays. */
function keptForReplay(e: SseEvent, i: number, all: SseEvent[]): boolean {
  return !(e.event === 'status' && all[i + 1]?.event === 'status');
}
