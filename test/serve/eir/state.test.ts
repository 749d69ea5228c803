import { expect } from 'chai';
import { isBerthError } from '../../../src/errors.js';
import type { BerthError } from '../../../src/errors.js';
import { EirStream } from '../../../src/serve/eir/index.js';
import type { EirDataReply, EirSample, EirServerMessage } from '../../../src/serve/eir/index.js';
import { MemorySource, SEED_INFO } from './memory-source.js';

function idsOf(replies: EirServerMessage[]): string[] | 'terminate' | string {
  expect(replies).to.have.length(1);
  const reply = replies[0]!;
  if (reply.type === 'error') return `error: ${reply.payload.message}`;
  expect(reply.type).to.equal('data');
  const payload = (reply as EirDataReply).payload;
  if (payload.length === 1 && payload[0] === 'terminate') return 'terminate';
  return (payload as EirSample[]).map((s) => s.sample_id);
}

const getData = (n: number) => ({ type: 'getData', payload: { batch_size: n } }) as const;

describe('serve/eir/state', () => {
  it('gives batches in id order, a short last batch, then ["terminate"] alone, again and again until reset', async () => {
    const stream = new EirStream(new MemorySource({ count: 5 }));
    expect(idsOf(await stream.respond(getData(2)))).to.deep.equal(['sample_0000', 'sample_0001']);
    expect(idsOf(await stream.respond(getData(2)))).to.deep.equal(['sample_0002', 'sample_0003']);
    expect(idsOf(await stream.respond(getData(2)))).to.deep.equal(['sample_0004']);
    expect(stream.status()).to.include({ exhausted: false, remaining: 0, served: 5 });
    expect(idsOf(await stream.respond(getData(2)))).to.equal('terminate');
    // Pipelined requests already in flight get terminate too, not the start of a new pass.
    expect(idsOf(await stream.respond(getData(2)))).to.equal('terminate');
    expect(idsOf(await stream.respond(getData(64)))).to.equal('terminate');
    expect(stream.status()).to.include({ exhausted: true, terminates: 3 });
    const reset = await stream.respond({ type: 'reset' });
    expect(reset).to.deep.equal([
      { type: 'resetConfirmation', payload: { message: 'Reset successful' } },
      { type: 'reset', payload: { message: 'Reset command received' } },
    ]);
    expect(idsOf(await stream.respond(getData(10)))).to.deep.equal(
      [0, 1, 2, 3, 4].map((i) => `sample_000${i}`),
    );
    expect(stream.status()).to.include({ resets: 1, exhausted: false });
  });

  it('excludes validation ids from then on, also mid-pass, and counts unknown ones', async () => {
    const stream = new EirStream(new MemorySource({ count: 6 }));
    expect(idsOf(await stream.respond(getData(2)))).to.deep.equal(['sample_0000', 'sample_0001']);
    const confirm = await stream.respond({
      type: 'setValidationIds',
      payload: { validation_ids: ['sample_0001', 'sample_0003', 'sample_0004', 'ghost'] },
    });
    expect(confirm).to.have.length(1);
    expect(confirm[0]!.type).to.equal('validationIdsConfirmation');
    expect((confirm[0] as { payload: { message: string } }).payload.message).to.match(
      /Received 4 validation IDs \(1 not known/,
    );
    expect(stream.status()).to.include({ validation: 3, remaining: 2 });
    expect(idsOf(await stream.respond(getData(2)))).to.deep.equal(['sample_0002', 'sample_0005']);
    expect(idsOf(await stream.respond(getData(2)))).to.equal('terminate');
    await stream.respond({ type: 'reset' });
    expect(idsOf(await stream.respond(getData(100)))).to.deep.equal([
      'sample_0000',
      'sample_0002',
      'sample_0005',
    ]);
    expect(stream.trainingIds()).to.deep.equal(['sample_0000', 'sample_0002', 'sample_0005']);
  });

  it('sends ["terminate"] at once when every sample is a validation sample (never [])', async () => {
    const stream = new EirStream(new MemorySource({ count: 2 }));
    stream.setValidationIds(['sample_0000', 'sample_0001']);
    expect(idsOf(await stream.respond(getData(5)))).to.equal('terminate');
  });

  it('answers info, heartbeat and status', async () => {
    const stream = new EirStream(new MemorySource({ count: 3 }));
    expect(await stream.respond({ type: 'getInfo' })).to.deep.equal([{ type: 'info', payload: SEED_INFO }]);
    expect(await stream.respond({ type: 'heartbeat' })).to.deep.equal([{ type: 'heartbeat' }]);
    const [status] = await stream.respond({ type: 'status' });
    expect(status).to.deep.equal({
      type: 'status',
      payload: {
        protocol_version: '1.0',
        resets: 0,
        total: 3,
        validation: 0,
        served: 0,
        remaining: 3,
        exhausted: false,
        skipped: 0,
        terminates: 0,
        connections: 0,
      },
    });
  });

  it('keeps batch order although loads finish out of order', async () => {
    const stream = new EirStream(new MemorySource({ count: 40, maxDelayMs: 15 }), { loadConcurrency: 8 });
    const ids = idsOf(await stream.respond(getData(40)));
    expect(ids).to.deep.equal(Array.from({ length: 40 }, (_, i) => `sample_${String(i).padStart(4, '0')}`));
  });

  it('skips samples the source fails on, reports them, and never stalls', async () => {
    const errors: BerthError[] = [];
    const failing = new Set(['sample_0001', 'sample_0002', 'sample_0003']);
    const stream = new EirStream(new MemorySource({ count: 5, failing }), {
      onSampleError: (e) => errors.push(e),
    });
    expect(idsOf(await stream.respond(getData(2)))).to.deep.equal(['sample_0000']);
    expect(idsOf(await stream.respond(getData(2)))).to.match(
      /^error: No sample of this batch could be loaded: .*disk on fire/,
    );
    expect(idsOf(await stream.respond(getData(2)))).to.deep.equal(['sample_0004']);
    expect(idsOf(await stream.respond(getData(2)))).to.equal('terminate');
    expect(errors.map((e) => e.code)).to.deep.equal([
      'BERTH_E_EIR_SOURCE',
      'BERTH_E_EIR_SOURCE',
      'BERTH_E_EIR_SOURCE',
    ]);
    expect(stream.status().skipped).to.equal(3);
  });

  it('treats a sample with extra keys or another sample_id as a failed sample', async () => {
    const source = new MemorySource({ count: 2 });
    const stream = new EirStream({
      info: () => source.info(),
      ids: () => source.ids(),
      sample: async (id) =>
        id === 'sample_0000'
          ? { ...(await source.sample(id)), extra: 1 }
          : { ...(await source.sample(id)), sample_id: 'other' },
    });
    expect(idsOf(await stream.respond(getData(2)))).to.match(/extra[\s\S]*other/);
  });

  it('refuses, at construction, a source whose info or ids EIR could not use', () => {
    const source = new MemorySource({ count: 1 });
    const bad = (over: Partial<{ info: () => unknown; ids: () => readonly string[] }>) => () =>
      new EirStream({
        ...{ info: () => source.info(), ids: () => source.ids(), sample: (id: string) => source.sample(id) },
        ...over,
      } as never);
    for (const make of [
      bad({ info: () => ({ inputs: { a: { type: 'array' } }, outputs: {} }) }),
      bad({ ids: () => ['a', 'a'] }),
      bad({ ids: () => ['../../etc/passwd'] }),
    ]) {
      let thrown: unknown;
      try {
        make();
      } catch (e) {
        thrown = e;
      }
      expect(isBerthError(thrown) && thrown.code).to.equal('BERTH_E_EIR_SOURCE');
    }
  });

  it('re-reads ids at reset; a broken list makes the reset an error reply', async () => {
    let list = ['a', 'b'];
    const source = new MemorySource({ count: 1 });
    const stream = new EirStream({
      info: () => source.info(),
      ids: () => list,
      sample: async (id) => ({ ...(await source.sample('sample_0000')), sample_id: id }),
    });
    list = ['a', 'b', 'c'];
    await stream.respond({ type: 'reset' });
    expect(idsOf(await stream.respond(getData(5)))).to.deep.equal(['a', 'b', 'c']);
    list = ['a', 'a'];
    const replies = await stream.respond({ type: 'reset' });
    expect(replies).to.have.length(1);
    expect(replies[0]!.type).to.equal('error');
  });
});
