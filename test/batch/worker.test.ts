import path from 'node:path';
import { Queue } from 'bullmq';
import { expect } from 'chai';
import { recordOfError } from '../../src/batch/job.js';
import {
  batchIdOf,
  connectionOf,
  DEFAULT_LOCK,
  identityOf,
  jobIdOf,
  queueNameOf,
  type CaseJob,
  type MachineIdentity,
} from '../../src/batch/queue.js';
import { LocalStorage } from '../../src/batch/storage.js';
import { startWorker, type RunningWorker } from '../../src/batch/worker.js';
import { resolveMachine } from '../../src/harness/machine.js';
import { codeOf } from '../support/codes.js';
import { requirePeer } from '../support/peers.js';
import { REDIS_PEER, startRedis, type TestRedis } from '../support/redis.js';
import { removeDir, tempDir } from '../support/temp.js';
import { makeCases, makeMachine, runs } from '../support/tiny-machine.js';

/** Waits (at most 20 s) until the job has completed or failed; returns its state. */
async function settled(queue: Queue, jobId: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const state = await queue.getJobState(jobId);
    if (state === 'completed' || state === 'failed') return state;
    await new Promise((r) => setTimeout(r, 100));
  }
  return queue.getJobState(jobId);
}

describe('batch worker', function () {
  this.timeout(60_000);
  let redis: TestRedis | undefined;
  let dir: string;
  let queue: Queue;
  let worker: RunningWorker | undefined;
  let identity: MachineIdentity;
  let machineDir: string;

  before(async function () {
    await requirePeer(this, REDIS_PEER);
    redis = await startRedis();
    dir = await tempDir('worker');
    machineDir = path.join(dir, 'machine');
    makeMachine(machineDir);
    makeCases(path.join(dir, 'cases'), 3);
    const machine = await resolveMachine(machineDir);
    identity = await identityOf(machine, {});
    queue = new Queue(queueNameOf(identity), { connection: connectionOf(redis.url) });
    worker = startWorker({
      queue: redis.url,
      concurrency: 1,
      identity,
      settings: { machine, driver: 'process' },
      lock: DEFAULT_LOCK,
      log: () => {},
    });
  });

  after(async () => {
    await worker?.close();
    await queue?.close();
    await redis?.stop();
    await removeDir(dir);
  });

  function job(id: string, out: string, over: Partial<CaseJob> = {}): CaseJob {
    return {
      v: 1,
      batch: batchIdOf(out),
      id,
      case: path.join(dir, 'cases', `${id}.yaml`),
      out,
      identity,
      ...over,
    };
  }

  async function add(data: unknown, jobId: string): Promise<void> {
    await queue.add('case', data, { jobId, attempts: 3, backoff: { type: 'fixed', delay: 100 } });
  }

  it('fails a job enqueued for another machine at once with BERTH_E_QUEUE_MACHINE, without retrying or writing it', async () => {
    const out = path.join(dir, 'out-other');
    const data = job('c000', out, { identity: { manifest: 'sha256:0000' } });
    const jobId = jobIdOf(data.batch, data.id);
    await add(data, jobId);
    expect(await settled(queue, jobId)).to.equal('failed');
    const failed = await queue.getJob(jobId);
    expect(failed!.failedReason).to.match(
      /^BERTH_E_QUEUE_MACHINE: case c000 of batch \w+ wants manifest sha256:0000/,
    );
    expect(failed!.attemptsMade).to.equal(1);
    expect(await new LocalStorage(out).completed('c000')).to.equal(undefined);
  });

  it('fails a job whose data is not a berth case job with BERTH_E_QUEUE_JOB, without retrying it', async () => {
    const out = path.join(dir, 'out-bad');
    const jobId = 'not-a-case';
    await add({ ...job('c001', out), id: '../escape' }, jobId);
    expect(await settled(queue, jobId)).to.equal('failed');
    const failed = await queue.getJob(jobId);
    expect(failed!.failedReason).to.match(/^BERTH_E_QUEUE_JOB: job not-a-case is not a berth case job/);
    expect(failed!.attemptsMade).to.equal(1);
  });

  it('treats a delivered job whose case already has its completed marker as done, without running the machine', async () => {
    const out = path.join(dir, 'out-done');
    const storage = new LocalStorage(out);
    await storage.open();
    const staging = await storage.stage('c002');
    const t = new Date();
    await staging.commit(
      recordOfError('c002', 'earlier', { code: 'BERTH_E_IO', message: 'x' }, { startedAt: t, finishedAt: t }),
    );
    const before = runs(machineDir).length;
    const data = job('c002', out);
    const jobId = jobIdOf(data.batch, data.id);
    await add(data, jobId);
    expect(await settled(queue, jobId)).to.equal('completed');
    expect((await queue.getJob(jobId))!.returnvalue).to.include({ id: 'c002', case: 'earlier' });
    expect(runs(machineDir).length).to.equal(before);
  });

  it('is seen by the queue of its machine identity as a worker (what berth batch asks before saying none is there)', async () => {
    expect(await queue.getWorkersCount()).to.equal(1);
    const other = new Queue(queueNameOf({ ...identity, command: ['other'] }), {
      connection: connectionOf(redis!.url),
    });
    try {
      expect(await other.getWorkersCount()).to.equal(0);
    } finally {
      await other.close();
    }
  });

  it('runs a new job into its output store with one delivery recorded', async () => {
    const out = path.join(dir, 'out-new');
    await new LocalStorage(out).open(); // the batch made it
    const data = job('c001', out);
    const jobId = jobIdOf(data.batch, data.id);
    await add(data, jobId);
    expect(await settled(queue, jobId), (await queue.getJob(jobId))?.failedReason).to.equal('completed');
    const record = await new LocalStorage(out).completed('c001');
    expect(record).to.include({ outcome: 'passed', deliveries: 1 });
  });

  it('retries a job whose S3 store fails, and fails it with BERTH_E_S3 at the head of its reason', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      BERTH_S3_ENDPOINT: 'http://127.0.0.1:1',
    });
    try {
      const data = job('c001', 's3://berth-none/p');
      const jobId = jobIdOf(data.batch, data.id);
      await queue.add('case', data, { jobId, attempts: 2, backoff: { type: 'fixed', delay: 100 } });
      expect(await settled(queue, jobId)).to.equal('failed');
      const failed = (await queue.getJob(jobId))!;
      expect(failed.failedReason).to.match(/^BERTH_E_S3: GET s3:\/\/berth-none\/p\/c001\/\.complete failed/);
      expect(failed.attemptsMade).to.equal(2);
    } finally {
      for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'BERTH_S3_ENDPOINT']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it('refuses a --queue URL that is not redis:// with BERTH_E_USAGE', () => {
    expect(codeOf(() => connectionOf('http://localhost:6379'))).to.equal('BERTH_E_USAGE');
    expect(codeOf(() => connectionOf('redis://localhost:6379/x'))).to.equal('BERTH_E_USAGE');
    expect(connectionOf('redis://u:p%40ss@h:7000/3')).to.include({
      host: 'h',
      port: 7000,
      db: 3,
      password: 'p@ss',
    });
  });

  it('derives job ids from the batch and the case, the same each time and different per case', () => {
    const b = batchIdOf('/data/out');
    expect(jobIdOf(b, 'c1')).to.equal(jobIdOf(batchIdOf('/data/out'), 'c1'));
    expect(jobIdOf(b, 'c1')).to.not.equal(jobIdOf(b, 'c2'));
    expect(jobIdOf(b, 'c1')).to.not.equal(jobIdOf(batchIdOf('/data/out2'), 'c1'));
    expect(jobIdOf(b, 'a:b/c')).to.match(/^[0-9a-f]+-[0-9a-f]{32}$/);
  });
});

describe('batch worker lock', function () {
  this.timeout(60_000);
  let redis: TestRedis | undefined;
  let dir: string;
  let queue: Queue | undefined;
  let worker: RunningWorker | undefined;

  before(async function () {
    await requirePeer(this, REDIS_PEER);
    redis = await startRedis();
    dir = await tempDir('worker-lock');
  });

  after(async () => {
    await worker?.close();
    await queue?.close();
    await redis?.stop();
    await removeDir(dir);
  });

  it('keeps the lock of a job whose machine runs three times the lock duration: it is never found stalled and runs once', async () => {
    const machineDir = path.join(dir, 'machine');
    makeMachine(machineDir, 3);
    makeCases(path.join(dir, 'cases'), 1);
    const machine = await resolveMachine(machineDir);
    const identity = await identityOf(machine, {});
    // maxStalledCount 0: a job found stalled even once fails, so a lost lock cannot go unseen.
    const lock = { lockDuration: 1000, stalledInterval: 500, maxStalledCount: 0 };
    worker = startWorker({
      queue: redis!.url,
      concurrency: 1,
      identity,
      settings: { machine, driver: 'process' },
      lock,
      log: () => {},
    });
    queue = new Queue(queueNameOf(identity), { connection: connectionOf(redis!.url) });
    const out = path.join(dir, 'out');
    await new LocalStorage(out).open();
    const data: CaseJob = {
      v: 1,
      batch: batchIdOf(out),
      id: 'c000',
      case: path.join(dir, 'cases', 'c000.yaml'),
      out,
      identity,
    };
    const jobId = jobIdOf(data.batch, data.id);
    await queue.add('case', data, { jobId, attempts: 1 });
    expect(await settled(queue, jobId), (await queue.getJob(jobId))?.failedReason).to.equal('completed');
    const job = (await queue.getJob(jobId))!;
    expect(job.stalledCounter).to.equal(0);
    expect(job.attemptsStarted).to.equal(1);
    expect(runs(machineDir)).to.deep.equal(['c000']);
    const record = await new LocalStorage(out).completed('c000');
    expect(record).to.include({ outcome: 'passed', deliveries: 1 });
    expect(record!.wallMs).to.be.at.least(3 * lock.lockDuration);
  });
});
