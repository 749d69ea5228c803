import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import { Queue } from 'bullmq';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';
import type { BatchReport } from '../../src/batch/aggregate.js';
import type { CaseRecord } from '../../src/batch/job.js';
import {
  batchIdOf,
  connectionOf,
  identityOf,
  jobIdOf,
  queueNameOf,
  type CaseJob,
} from '../../src/batch/queue.js';
import { resolveMachine } from '../../src/harness/machine.js';
import { CLI, runCli, type CliResult } from '../support/cli.js';
import { ROOT } from '../support/paths.js';
import { requirePeer } from '../support/peers.js';
import { REDIS_PEER, startRedis, type TestRedis } from '../support/redis.js';
import { removeDir, tempDir } from '../support/temp.js';
import { makeCases, makeMachine, runs } from '../support/tiny-machine.js';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Short locks, so a killed worker's jobs are found stalled within seconds (defaults: 60 s / 30 s). */
const TEST_LOCK = ['--lock-duration', '2s', '--stalled-interval', '1s', '--max-stalled', '2'];

interface Spawned {
  child: ChildProcess;
  out: () => string;
  done: Promise<CliResult>;
}

/** `berth ARGS` as a process, its output collected; killed after `timeoutMs`. */
function berth(args: string[], timeoutMs: number): Spawned {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child, out: () => stdout, done };
}

/** Resolves once `test(out)` holds, checking every 100 ms, at most `limitMs`. */
async function waitFor(test: () => boolean, limitMs: number): Promise<boolean> {
  for (let t = 0; t < limitMs; t += 100) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return test();
}

describe('berth worker and berth batch --queue', function () {
  this.timeout(120_000);
  let redis: TestRedis | undefined;
  let dir: string | undefined;
  const workers: Spawned[] = [];

  before(async function () {
    await requirePeer(this, REDIS_PEER);
    redis = await startRedis();
    dir = await tempDir('queue');
  });

  after(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
      await w.done;
    }
    await redis?.stop();
    await removeDir(dir);
  });

  it('runs 200 cases on two workers, one SIGKILLed mid-run: each case ends once, whole, and the stalled jobs ran again', async () => {
    const machine = path.join(dir!, 'machine');
    const cases = path.join(dir!, 'cases');
    const out = path.join(dir!, 'out');
    makeMachine(machine, 0.2);
    makeCases(cases, 200);
    const workerArgs = ['worker', machine, '--queue', redis!.url, '--concurrency', '2', ...TEST_LOCK];
    const doomed = berth(workerArgs, 100_000);
    const survivor = berth(workerArgs, 100_000);
    workers.push(doomed, survivor);
    const batch = berth(['batch', machine, '--cases', cases, '--out', out, '--queue', redis!.url], 100_000);
    const finished = (): number => (batch.out().match(/\[\d+\/200\]$/gm) ?? []).length;
    // Mid-run, while the doomed worker holds jobs of its own.
    expect(await waitFor(() => finished() >= 40 && /^done /m.test(doomed.out()), 60_000)).to.equal(true);
    doomed.child.kill('SIGKILL');
    const result = await batch.done;
    expect(result.stderr).to.equal('');
    expect(result.code, result.stdout).to.equal(0);
    expect(result.stdout).to.match(/200 passed, 0 failed, 0 pending of 200/);
    expect(result.stdout).to.not.include('no berth worker takes the jobs');

    // Exactly one whole folder per case, nothing half-written left beside them.
    const names = readdirSync(out).sort();
    expect(names.filter((n) => n.startsWith('.'))).to.deep.equal([]);
    expect(names).to.have.length(202);
    for (let i = 0; i < 200; i++) {
      const id = `c${String(i).padStart(3, '0')}`;
      expect(existsSync(path.join(out, id, '.complete')), id).to.equal(true);
      expect(readFileSync(path.join(out, id, 'output', 'score'), 'utf8').trim()).to.equal('0.4');
      expect(existsSync(path.join(out, id, 'report.json')), id).to.equal(true);
    }

    // The report counts all 200; the jobs the killed worker held were delivered again.
    const report = JSON.parse(readFileSync(path.join(out, 'batch.json'), 'utf8')) as BatchReport;
    expect(report.counts).to.include({ total: 200, finished: 200, pending: 0 });
    expect(report.counts.outcomes.passed).to.equal(200);
    const redelivered = report.cases.filter((c) => (c.deliveries ?? 0) >= 2);
    expect(redelivered.length).to.be.greaterThan(0);
    expect(report.cases.every((c) => (c.deliveries ?? 0) >= 1)).to.equal(true);
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    const schema = JSON.parse(
      readFileSync(path.join(ROOT, 'schemas', 'batch.schema.json'), 'utf8'),
    ) as object;
    expect(ajv.validate(schema, report), ajv.errorsText()).to.equal(true);
    // Every case ran at least once (the contract). A re-delivered case need not have run twice:
    // the worker may have been killed after taking its job but before starting its machine.
    expect(new Set(runs(machine)).size).to.equal(200);
    expect(runs(machine).length).to.be.at.least(200);
  });

  it('enqueues nothing again for a finished batch, and status, report and retry-failed read it from the queue', async () => {
    const machine = path.join(dir!, 'machine');
    const cases = path.join(dir!, 'cases');
    const out = path.join(dir!, 'out');
    const again = await runCli(
      ['batch', machine, '--cases', cases, '--out', out, '--queue', redis!.url, '--resume'],
      {
        timeoutMs: 30_000,
      },
    );
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/: 0 job\(s\) in queue berth-batch-[0-9a-f]{16}; following them/);
    expect(again.stdout).to.match(/200 passed, 0 failed, 0 pending of 200/);

    const status = await runCli(['batch', 'status', '--queue', redis!.url, '--out', out], {
      timeoutMs: 30_000,
    });
    expect(status.code, status.stderr).to.equal(0);
    expect(status.stdout).to.match(/completed 200, failed 0/);
    const retry = await runCli(['batch', 'retry-failed', '--queue', redis!.url, '--out', out], {
      timeoutMs: 30_000,
    });
    expect(retry.stdout).to.match(/^0 failed job\(s\) queued again/);
    const report = await runCli(['batch', 'report', '--queue', redis!.url, '--out', out], {
      timeoutMs: 30_000,
    });
    expect(report.code, report.stderr).to.equal(0);
    expect(report.stdout).to.match(/^200 finished, 0 pending of 200/);
  });

  it('stops at once with BERTH_E_QUEUE_UNREACHABLE when nothing listens at the --queue URL', async () => {
    const r = await runCli(['batch', 'status', '--queue', 'redis://127.0.0.1:1', '--out', dir!]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(
      /^berth: BERTH_E_QUEUE_UNREACHABLE: Redis at redis:\/\/127\.0\.0\.1:1 cannot be used: .*ECONNREFUSED/,
    );
  });

  it('says a batch that was never enqueued is unknown to the queue, with BERTH_E_USAGE', async () => {
    const r = await runCli(['batch', 'status', '--queue', redis!.url, '--out', path.join(dir!, 'never')]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^berth: BERTH_E_USAGE: The queue holds no batch of .*never/);
  });

  it('refuses a --queue that is not a Redis URL with a usage error', async () => {
    const r = await runCli(['batch', 'status', '--queue', 'http://127.0.0.1:1', '--out', dir!]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/BERTH_E_USAGE: --queue http:\/\/127\.0\.0\.1:1 is not a Redis URL/);
  });
});

describe('berth worker whose lock is lost while its machine runs', function () {
  this.timeout(90_000);
  let redis: TestRedis | undefined;
  let dir: string | undefined;
  const workers: Spawned[] = [];

  before(async function () {
    await requirePeer(this, REDIS_PEER);
    redis = await startRedis();
    dir = await tempDir('queue-stall');
  });

  after(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGCONT');
        w.child.kill('SIGTERM');
      }
      await w.done;
    }
    await redis?.stop();
    await removeDir(dir);
  });

  it('lets the re-delivered run of a stalled job commit first, and the stalled run, resumed, writes nothing over it', async () => {
    const machine = path.join(dir!, 'machine');
    const out = path.join(dir!, 'out');
    makeMachine(machine, 3);
    makeCases(path.join(dir!, 'cases'), 1);
    const args = ['worker', machine, '--queue', redis!.url, '--lock-duration', '1s'];
    const stalled = berth([...args, '--stalled-interval', '500ms'], 80_000);
    workers.push(stalled);
    expect(await waitFor(() => /taking jobs/.test(stalled.out()), 20_000)).to.equal(true);
    // Enqueued as `berth batch --queue` does, without its follower (which sweeps staging folders at the end).
    await mkdir(out);
    const identity = await identityOf(await resolveMachine(machine), {});
    const data: CaseJob = {
      v: 1,
      batch: batchIdOf(out),
      id: 'c000',
      case: path.join(dir!, 'cases', 'c000.yaml'),
      out,
      identity,
    };
    const jobId = jobIdOf(data.batch, data.id);
    const queue = new Queue(queueNameOf(identity), { connection: connectionOf(redis!.url) });
    try {
      await queue.add('case', data, { jobId, attempts: 1 });
      // The first worker's machine has started: freeze the worker (not its machine) past its lock.
      expect(await waitFor(() => runs(machine).length === 1, 30_000)).to.equal(true);
      stalled.child.kill('SIGSTOP');
      workers.push(berth([...args, '--stalled-interval', '500ms'], 80_000));
      expect(await waitFor(() => existsSync(path.join(out, 'c000', '.complete')), 40_000)).to.equal(true);
      const marker = (): CaseRecord =>
        JSON.parse(readFileSync(path.join(out, 'c000', '.complete'), 'utf8')) as CaseRecord;
      expect(marker().deliveries).to.equal(2);
      const won = readFileSync(path.join(out, 'c000', 'report.json'), 'utf8');
      const staged = readdirSync(out).filter((n) => n.startsWith('.'));
      expect(staged, 'the frozen run is still staged').to.have.length(1);

      // The frozen worker wakes up with its run finished: its commit finds the marker and discards.
      stalled.child.kill('SIGCONT');
      expect(await waitFor(() => !existsSync(path.join(out, staged[0]!)), 30_000)).to.equal(true);
      expect(runs(machine)).to.deep.equal(['c000', 'c000']);
      expect(marker().deliveries).to.equal(2);
      expect(readFileSync(path.join(out, 'c000', 'report.json'), 'utf8')).to.equal(won);
      expect(readdirSync(out)).to.deep.equal(['c000']);
      const job = (await queue.getJob(jobId))!;
      expect(await job.getState()).to.equal('completed');
      expect(job.returnvalue).to.include({ deliveries: 2 });
    } finally {
      await queue.close();
    }
  });
});

describe('berth batch --queue when no worker comes and Redis goes away', function () {
  this.timeout(90_000);
  let redis: TestRedis | undefined;
  let dir: string | undefined;

  before(async function () {
    await requirePeer(this, REDIS_PEER);
    redis = await startRedis();
    dir = await tempDir('queue-gone');
  });

  after(async () => {
    await redis?.stop();
    await removeDir(dir);
  });

  it('a worker refuses an unreachable Redis at start with BERTH_E_QUEUE_UNREACHABLE (exit 2)', async () => {
    const machine = path.join(dir!, 'machine-w');
    makeMachine(machine);
    const r = await runCli(['worker', machine, '--queue', 'redis://127.0.0.1:1'], { timeoutMs: 30_000 });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(
      /^berth: BERTH_E_QUEUE_UNREACHABLE: Redis at redis:\/\/127\.0\.0\.1:1 cannot be used/,
    );
  });

  it('a worker that cannot run its machine stops at start with exit 2, before taking any job', async () => {
    const machine = path.join(dir!, 'machine-w');
    makeMachine(machine);
    const noImage = await runCli(['worker', machine, '--queue', redis!.url, '--driver', 'container']);
    expect(noImage.code).to.equal(2);
    expect(noImage.stderr).to.match(/^berth: BERTH_E_USAGE: The container driver needs --image/);
    const unknown = await runCli(['worker', machine, '--queue', redis!.url, '--driver', 'vm']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/^berth: BERTH_E_USAGE: There is no driver "vm"/);
    for (const r of [noImage, unknown]) expect(r.stdout).to.not.include('taking jobs');
  });

  it('stops following a job removed from Redis, naming it failed, instead of waiting for it forever', async () => {
    const machine = path.join(dir!, 'machine-removed');
    const cases = path.join(dir!, 'cases-removed');
    makeMachine(machine);
    makeCases(cases, 2);
    const out = path.join(dir!, 'out-removed');
    const batch = berth(['batch', machine, '--cases', cases, '--out', out, '--queue', redis!.url], 60_000);
    expect(await waitFor(() => /following them/.test(batch.out()), 20_000)).to.equal(true);
    const name = /in queue (berth-batch-[0-9a-f]{16})/.exec(batch.out())![1]!;
    const queue = new Queue(name, { connection: connectionOf(redis!.url) });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
    const result = await batch.done;
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stdout).to.match(/FAIL {2}c000: the queue job failed — the job is no longer in the queue/);
    expect(result.stdout).to.match(/0 passed, 0 failed, 2 pending of 2 \(2 queue job\(s\) failed\)/);
  });

  it('says no worker takes its jobs, then stops with BERTH_E_QUEUE_UNREACHABLE and a report of 3 pending cases', async () => {
    const machine = path.join(dir!, 'machine');
    const cases = path.join(dir!, 'cases');
    const out = path.join(dir!, 'out');
    makeMachine(machine);
    makeCases(cases, 3);
    const batch = berth(['batch', machine, '--cases', cases, '--out', out, '--queue', redis!.url], 80_000);
    expect(await waitFor(() => /no berth worker takes the jobs/.test(batch.out()), 40_000)).to.equal(true);
    expect(batch.out()).to.match(/queue berth-batch-[0-9a-f]{16}\): start `berth worker`/);
    await redis!.stop();
    const result = await batch.done;
    expect(result.code, result.stdout).to.equal(2);
    expect(result.stderr).to.match(
      /^berth: BERTH_E_QUEUE_UNREACHABLE: Redis at redis:\/\/127\.0\.0\.1:\d+ failed: /,
    );
    const report = JSON.parse(readFileSync(path.join(out, 'batch.json'), 'utf8')) as BatchReport;
    expect(report.counts).to.include({ total: 3, finished: 0, pending: 3 });
  });
});

describe('berth worker whose Redis goes away', function () {
  this.timeout(60_000);
  let redis: TestRedis | undefined;
  let dir: string | undefined;
  let worker: Spawned | undefined;

  before(async function () {
    await requirePeer(this, REDIS_PEER);
    redis = await startRedis();
    dir = await tempDir('worker-gone');
  });

  after(async () => {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null)
      worker.child.kill('SIGKILL');
    await worker?.done;
    await redis?.stop();
    await removeDir(dir);
  });

  it('keeps reconnecting without repeating its error line, and still stops on SIGTERM (exit 0)', async () => {
    const machine = path.join(dir!, 'machine');
    makeMachine(machine);
    worker = berth(['worker', machine, '--queue', redis!.url], 50_000);
    expect(await waitFor(() => /taking jobs/.test(worker!.out()), 20_000)).to.equal(true);
    await redis!.stop();
    expect(await waitFor(() => /^error /m.test(worker!.out()), 20_000)).to.equal(true);
    // Reconnection is tried many times a second at first: one line says it.
    await new Promise((r) => setTimeout(r, 3000));
    worker.child.kill('SIGTERM');
    const result = await worker.done;
    expect(result.code, result.stdout + result.stderr).to.equal(0);
    expect(result.stdout).to.match(/berth worker: stopped\n$/);
    const errors = result.stdout.split('\n').filter((l) => l.startsWith('error '));
    expect(new Set(errors).size).to.equal(errors.length);
  });
});
