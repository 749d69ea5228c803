/**
 * The server against a client that behaves like EIR 0.23.0 end to end: setup connections, the
 * validation-ids connection, training epochs with EIR's pipelined heartbeat+getData, and every
 * sample decoded the way EIR decodes it.
 */
import { expect } from 'chai';
import { checkSampleValues } from '../../../src/serve/eir/index.js';
import type { EirSample } from '../../../src/serve/eir/index.js';
import {
  decodeEirSample,
  gatherAndSaveData,
  runEirSession,
  trainingEpoch,
} from '../../support/eir-client.js';
import type { DecodedSample, DecodedValue, JsonObj } from '../../support/eir-client.js';
import { FAST, closeAll, ids, serve } from './helpers.js';
import { MemorySource, SEED_INFO, originals } from './memory-source.js';

function pick<T extends DecodedValue['type']>(
  value: DecodedValue | undefined,
  type: T,
): Extract<DecodedValue, { type: T }> {
  expect(value?.type).to.equal(type);
  return value as Extract<DecodedValue, { type: T }>;
}

/** Every decoded value equals the original it was built from. */
function expectFaithful(decoded: DecodedSample, index: number): void {
  const o = originals(index);
  expect(pick(decoded.inputs['sequence_data'], 'sequence').text).to.equal(o.sequence);
  expect(pick(decoded.inputs['tabular_data'], 'tabular').columns).to.deep.equal({
    column1: o.column1,
    column2: o.column2,
  });
  const omics = pick(decoded.inputs['omics_data'], 'omics');
  expect(omics.shape).to.deep.equal([4, 100]);
  expect(omics.data).to.deep.equal(Array.from(o.omics, (b) => b === 1));
  // One-hot per SNP column, as in EIR's convention.
  for (let snp = 0; snp < 100; snp++)
    expect([0, 1, 2, 3].filter((r) => omics.data[r * 100 + snp]).length).to.equal(1);
  const array = pick(decoded.inputs['array_data'], 'array');
  expect(array.shape).to.deep.equal([10, 5]);
  expect(Array.from(array.data)).to.deep.equal(Array.from(o.array));
  const image = pick(decoded.inputs['image_data'], 'image');
  expect([image.format, image.width, image.height]).to.deep.equal(['png', 16, 16]);
  expect(rgbOf(image.rgba)).to.deep.equal(Array.from(o.image));
  expect(pick(decoded.targets['test_output'], 'tabular').columns).to.deep.equal({
    test_target: o.testTarget,
  });
  expect(Array.from(pick(decoded.targets['output_array'], 'array').data)).to.deep.equal(
    Array.from(o.arrayOutput),
  );
  expect(rgbOf(pick(decoded.targets['output_image'], 'image').rgba)).to.deep.equal(Array.from(o.imageOutput));
  expect(pick(decoded.targets['output_sequence'], 'sequence').text).to.equal(o.sequenceOutput);
  expect(pick(decoded.targets['output_survival'], 'survival').columns).to.deep.equal({
    Event: o.event,
    Time: o.time,
  });
}

function rgbOf(rgba: Uint8Array): number[] {
  return Array.from(rgba).filter((_, i) => i % 4 !== 3);
}

describe('serve/eir against an EIR 0.23.0-like client', function () {
  this.timeout(30_000);
  afterEach(closeAll);

  it('runs a whole eirtrain session: setup, reset, validation ids, two training epochs', async () => {
    const source = new MemorySource({ count: 50, maxDelayMs: 3 });
    const server = await serve({ source });
    const session = await runEirSession(
      server.url,
      { setupSamples: 30, setupBatchSize: 8, batchSize: 8, epochs: 2 },
      FAST,
    );

    expect(session.statusBefore).to.include({ protocol_version: '1.0', total: 50, served: 0 });
    // The validation step consumed one sample and reset, so setup gathers from the first sample.
    expect(session.setup.samples.map((s) => s['sample_id'])).to.deep.equal(ids(0, 30));
    expect(session.setup.sawTerminate).to.equal(false);
    expect(session.setup.info).to.deep.equal(SEED_INFO);
    session.setup.decoded.forEach((d, i) => expectFaithful(d, i));
    expect(session.reset.map((r) => r['type'])).to.deep.equal(['resetConfirmation', 'reset']);
    expect(session.statusAfter).to.include({ served: 0, exhausted: false });

    expect(session.validationIds).to.deep.equal(['sample_0000', 'sample_0010', 'sample_0020']);
    expect(session.validationConfirmation).to.match(/Received 3 validation IDs/);
    const training = ids(0, 50).filter((id) => !session.validationIds.includes(id));
    for (const epoch of session.epochs) {
      expect(epoch.end).to.equal('terminate');
      expect(epoch.errors).to.deep.equal([]);
      // Every training sample exactly once, in order, none of the validation ids.
      expect(epoch.samples.map((s) => s['sample_id'])).to.deep.equal(training);
      for (const s of epoch.samples)
        expectFaithful(
          decodeEirSample(SEED_INFO as unknown as JsonObj, s),
          source.indexOf(String(s['sample_id'])),
        );
      expect(epoch.batches).to.equal(Math.ceil(training.length / 8));
      // EIR's lag: about two getData per consumed batch, the surplus answered and left unread.
      expect(epoch.sent.getData).to.be.greaterThan(epoch.batches + 1);
      expect(epoch.unread).to.be.greaterThan(0);
    }
    // connections: only the status connection itself.
    expect(session.statusEnd).to.include({ validation: 3, exhausted: true, connections: 1 });
  });

  it('ends setup on ["terminate"] when the dataset is smaller than streaming_setup_samples', async () => {
    const server = await serve({ source: new MemorySource({ count: 13 }) });
    const setup = await gatherAndSaveData(server.url, { setupSamples: 10_000, batchSize: 4 }, FAST);
    expect(setup.sawTerminate).to.equal(true);
    expect(setup.samples.map((s) => s['sample_id'])).to.deep.equal(ids(0, 13));
    // 4 + 4 + 4 + 1 samples, then ["terminate"]; never an empty list.
    expect(setup.requests).to.equal(5);
  });

  it('serves samples that pass the protocol value checks', async () => {
    const source = new MemorySource({ count: 5 });
    for (const id of source.ids())
      expect(checkSampleValues(SEED_INFO, await source.sample(id))).to.deep.equal([]);
    const sample: EirSample = await source.sample('sample_0000');
    expect(Object.keys(sample).sort()).to.deep.equal(['inputs', 'sample_id', 'target_labels']);
  });

  it('restarts every epoch at the first sample, however far an earlier connection got', async () => {
    const server = await serve({ source: new MemorySource({ count: 9 }) });
    const setup = await gatherAndSaveData(server.url, { setupSamples: 4, batchSize: 3 }, FAST);
    expect(setup.samples).to.have.length(4);
    const epoch = await trainingEpoch(server.url, { batchSize: 4 }, FAST);
    expect(epoch.samples.map((s) => s['sample_id'])).to.deep.equal(ids(0, 9));
  });
});
