import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect } from 'chai';
import { BatchControl, runBatch } from '../../src/batch/batch.js';
import { recordOfError } from '../../src/batch/job.js';
import { DEFAULT_LOCK, identityOf } from '../../src/batch/queue.js';
import { runQueuedBatch } from '../../src/batch/queue-batch.js';
import { lineProgress } from '../../src/batch/progress.js';
import { S3Client, signRequest, type S3Settings } from '../../src/batch/s3-client.js';
import { parseS3Uri, S3Storage } from '../../src/batch/s3-storage.js';
import { listCases } from '../../src/batch/cases.js';
import { startWorker } from '../../src/batch/worker.js';
import { resolveMachine } from '../../src/harness/machine.js';
import { codeOf, codeOfAsync } from '../support/codes.js';
import { requirePeer } from '../support/peers.js';
import { REDIS_PEER, startRedis } from '../support/redis.js';
import { removeDir, tempDir } from '../support/temp.js';
import { makeCases, makeMachine } from '../support/tiny-machine.js';

/** s3rver (CommonJS, untyped): only what the tests use. */
interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: object) => S3rverServer;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

const BUCKET = 'berth-test';

describe('S3 storage (against s3rver on loopback)', function () {
  this.timeout(60_000);
  let dir: string;
  let server: S3rverServer;
  let settings: S3Settings;

  before(async () => {
    dir = await tempDir('s3');
    mkdirSync(path.join(dir, 'store'));
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: path.join(dir, 'store'),
      configureBuckets: [{ name: BUCKET }],
    });
    const { port } = await server.run();
    // s3rver's fixed credentials: it checks the access key, not the SigV4 signature (tested below).
    settings = {
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    };
  });

  after(async () => {
    await server?.close();
    await removeDir(dir);
  });

  it('commits a staged case file by file, the marker last, and reads the marker back as the case being done', async () => {
    const storage = new S3Storage(`s3://${BUCKET}/runs/one/`, settings);
    expect(storage.location).to.equal(`s3://${BUCKET}/runs/one`);
    expect(await storage.completed('c1')).to.equal(undefined);
    const staging = await storage.stage('c1');
    mkdirSync(path.join(staging.dir, 'output'));
    writeFileSync(path.join(staging.dir, 'output', 'score'), '0.4\n');
    writeFileSync(path.join(staging.dir, 'report.json'), '{}\n');
    symlinkSync('/etc/passwd', path.join(staging.dir, 'output', 'link'));
    const t = new Date();
    const record = recordOfError(
      'c1',
      '/cases/c1',
      { code: 'BERTH_E_IO', message: 'x' },
      { startedAt: t, finishedAt: t },
    );
    await staging.commit(record);
    expect(await storage.completed('c1')).to.deep.equal(record);
    const client = new S3Client(settings, BUCKET);
    expect((await client.get('runs/one/c1/output/score'))?.toString()).to.equal('0.4\n');
    expect(await client.get('runs/one/c1/output/link')).to.equal(undefined);
  });

  it('keeps the first commit of a case: a later one uploads nothing and returns the first record', async () => {
    const storage = new S3Storage(`s3://${BUCKET}/runs/first`, settings);
    const t = new Date();
    const recordOf = (reason: string) => ({
      ...recordOfError(
        'c1',
        '/cases/c1',
        { code: 'BERTH_E_IO', message: 'x' },
        { startedAt: t, finishedAt: t },
      ),
      reason,
    });
    const first = await storage.stage('c1');
    const second = await storage.stage('c1');
    writeFileSync(path.join(first.dir, 'report.json'), '"first"');
    writeFileSync(path.join(second.dir, 'report.json'), '"second"');
    expect((await first.commit(recordOf('first'))).reason).to.equal('first');
    expect((await second.commit(recordOf('second'))).reason).to.equal('first');
    const client = new S3Client(settings, BUCKET);
    expect((await client.get('runs/first/c1/report.json'))?.toString()).to.equal('"first"');
    expect((await storage.completed('c1'))?.reason).to.equal('first');
  });

  it("signs a request as AWS's SigV4 example for GET Object does", () => {
    const headers = signRequest(
      {
        endpoint: 'https://examplebucket.s3.amazonaws.com',
        region: 'us-east-1',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
      'GET',
      new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      Buffer.alloc(0),
      new Date('2013-05-24T00:00:00Z'),
      { range: 'bytes=0-9' },
    );
    expect(headers['authorization']).to.equal(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('fails a request the store refuses (an unknown access key) with BERTH_E_S3', async () => {
    const storage = new S3Storage(`s3://${BUCKET}/runs/one`, { ...settings, accessKeyId: 'NOBODY' });
    expect(await codeOfAsync(storage.completed('c1'))).to.equal('BERTH_E_S3');
    expect(await codeOfAsync(storage.writeBatchFile('batch.json', '{}'))).to.equal('BERTH_E_S3');
  });

  it('refuses an s3:// location with an empty, . or .. segment with BERTH_E_USAGE', () => {
    expect(codeOf(() => parseS3Uri('s3://bucket/a/../b'))).to.equal('BERTH_E_USAGE');
    expect(codeOf(() => parseS3Uri('s3://bucket/a//b'))).to.equal('BERTH_E_USAGE');
    expect(codeOf(() => parseS3Uri('s3://B/x'))).to.equal('BERTH_E_USAGE');
    expect(parseS3Uri('s3://bucket')).to.deep.equal({ bucket: 'bucket', prefix: '' });
  });

  it('runs an embedded batch into an s3:// prefix, each case report naming its s3:// place', async () => {
    const machineDir = path.join(dir, 'machine-embedded');
    makeMachine(machineDir);
    makeCases(path.join(dir, 'cases-embedded'), 3);
    const machine = await resolveMachine(machineDir);
    const storage = new S3Storage(`s3://${BUCKET}/embedded`, settings);
    const { report } = await runBatch({
      cases: await listCases(path.join(dir, 'cases-embedded')),
      storage,
      settings: { machine, driver: 'process' },
      concurrency: 2,
      resume: false,
      progress: lineProgress({ write: () => true } as unknown as NodeJS.WritableStream),
      control: new BatchControl(),
    });
    expect(report.counts).to.include({ total: 3, finished: 3, pending: 0 });
    const client = new S3Client(settings, BUCKET);
    const html = (await client.get('embedded/c001/report.html'))!.toString();
    expect(html).to.include(`s3://${BUCKET}/embedded/c001/report.json`);
    expect(await client.get('embedded/batch.html')).to.not.equal(undefined);
  });

  it('runs a queued batch whose --out is an s3:// prefix: outputs, markers and batch.json land in the bucket', async function () {
    await requirePeer(this, REDIS_PEER);
    const redis = await startRedis();
    const set = {
      BERTH_S3_ENDPOINT: settings.endpoint,
      AWS_ACCESS_KEY_ID: settings.accessKeyId,
      AWS_SECRET_ACCESS_KEY: settings.secretAccessKey,
    };
    // Restored key by key afterwards: replacing process.env would leave modules that hold the
    // object (test/support/fuzz.ts) reading a stale copy.
    const saved = Object.keys(set).map((k) => [k, process.env[k]] as const);
    Object.assign(process.env, set);
    const machineDir = path.join(dir, 'machine');
    makeMachine(machineDir);
    makeCases(path.join(dir, 'cases'), 5);
    const machine = await resolveMachine(machineDir);
    const identity = await identityOf(machine, {});
    const worker = startWorker({
      queue: redis.url,
      concurrency: 2,
      identity,
      settings: { machine, driver: 'process' },
      lock: DEFAULT_LOCK,
      log: () => {},
    });
    try {
      const storage = new S3Storage(`s3://${BUCKET}/batch`);
      let lines = '';
      const result = await runQueuedBatch({
        queue: redis.url,
        cases: await listCases(path.join(dir, 'cases')),
        storage,
        identity,
        meta: { machine: { name: 'tiny', manifest: machine.manifestPath } },
        resume: false,
        progress: lineProgress({
          write: (t: string) => ((lines += t), true),
        } as unknown as NodeJS.WritableStream),
        stop: { stopping: false },
        pollMs: 100,
      });
      expect(result.report.counts, lines).to.include({ total: 5, finished: 5, pending: 0 });
      expect(result.report.counts.outcomes.passed).to.equal(5);
      const client = new S3Client(settings, BUCKET);
      expect((await client.get('batch/c003/output/score'))?.toString().trim()).to.equal('0.4');
      expect((await client.get('batch/c003/.complete'))?.toString()).to.match(/"deliveries": 1/);
      const report = JSON.parse((await client.get('batch/batch.json'))!.toString()) as {
        counts: { finished: number };
      };
      expect(report.counts.finished).to.equal(5);
    } finally {
      await worker.close();
      await redis.stop();
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
