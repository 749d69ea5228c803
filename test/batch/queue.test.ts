import { expect } from 'chai';
import {
  identityMismatch,
  parseCaseJob,
  QUEUE_PREFIX,
  queueNameOf,
  type MachineIdentity,
} from '../../src/batch/queue.js';

const ID_A = `sha256:${'a'.repeat(64)}`;
const ID_B = `sha256:${'b'.repeat(64)}`;
const base: MachineIdentity = { manifest: 'sha256:1111', image: 'tumour:2', imageId: ID_A };

describe('batch/queue (machine identity)', () => {
  it('compares images by their ID, not their name', () => {
    expect(identityMismatch(base, { ...base, image: 'registry.example/tumour:2' })).to.equal(undefined);
    expect(identityMismatch(base, { ...base, imageId: ID_B })).to.equal(
      `image tumour:2 (${ID_A}), this worker runs tumour:2 (${ID_B})`,
    );
    expect(identityMismatch(base, { manifest: 'sha256:1111' })).to.match(/this worker runs \(none\)$/);
  });

  it('tells a different manifest or command apart', () => {
    expect(identityMismatch(base, { ...base, manifest: 'sha256:2222' })).to.match(/^manifest sha256:1111/);
    expect(identityMismatch(base, { ...base, command: ['run'] })).to.match(/^command null/);
  });

  it('gives each identity its own queue, the same for every name of one image', () => {
    const q = queueNameOf(base);
    expect(q.startsWith(QUEUE_PREFIX)).to.equal(true);
    expect(queueNameOf({ ...base, image: 'other:1' })).to.equal(q);
    expect(queueNameOf({ ...base, imageId: ID_B })).to.not.equal(q);
    expect(queueNameOf({ ...base, manifest: 'sha256:2222' })).to.not.equal(q);
    expect(queueNameOf({ ...base, command: ['a b'] })).to.not.equal(
      queueNameOf({ ...base, command: ['a', 'b'] }),
    );
  });

  it('reads a job whose image ID is malformed as not a berth case job', () => {
    const job = { v: 1, batch: 'b', id: 'c1', case: '/c/c1', out: '/o', identity: base };
    expect(parseCaseJob(job)).to.deep.equal(job);
    expect(parseCaseJob({ ...job, identity: { ...base, imageId: 'tumour:2' } })).to.equal(undefined);
  });
});
