/**
 * Cases per minute over a dataset of trivial cases (a shell command writing one output): `berth
 * test` (one case after another, no reports) against `berth batch --concurrency 2` (a pool of two,
 * each case committed with its JSON and HTML reports, outputs and marker), both as the CLI runs
 * them (the built bundle, start-up included), and `berth batch --queue` with two local `berth worker`s
 * of concurrency 1 on a private redis-server (skipped without one): its per-case overhead over the
 * local pool. `BERTH_BENCH_BATCH_CASES` sets the count (500).
 *
 * Run: `npm run build && node --import tsx bench/batch.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hasPeer } from '../test/support/peers.js';
import { REDIS_PEER, startRedis } from '../test/support/redis.js';

const CLI = fileURLToPath(new URL('../dist/cli/berth.js', import.meta.url));

function berth(args: string[]): Promise<{ ms: number; code: number | null }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ ms: performance.now() - started, code }));
  });
}

/** Two `berth worker`s (concurrency 1 each), resolved once both take jobs; `stop` ends them by pid. */
async function startWorkers(machine: string, url: string): Promise<{ stop: () => Promise<void> }> {
  const children = [0, 1].map(() =>
    spawn(process.execPath, [CLI, 'worker', machine, '--queue', url, '--concurrency', '1'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          let out = '';
          child.stdout.setEncoding('utf8').on('data', (d: string) => {
            out += d;
            if (out.includes('taking jobs')) resolve();
          });
          child.once('exit', () => reject(new Error(`a worker exited early: ${out}`)));
        }),
    ),
  );
  return {
    stop: async () => {
      for (const child of children) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** `berth batch --queue` through two local workers, or undefined without redis-server. */
async function queuedRun(
  dir: string,
  cases: string,
): Promise<{ ms: number; code: number | null } | undefined> {
  if (!(await hasPeer(REDIS_PEER))) return undefined;
  const redis = await startRedis();
  try {
    const workers = await startWorkers(dir, redis.url);
    try {
      const out = path.join(dir, 'out-queue');
      return await berth(['batch', dir, '--cases', cases, '--out', out, '--queue', redis.url]);
    } finally {
      await workers.stop();
    }
  } finally {
    await redis.stop();
  }
}

/** Measures and reports both ways through the same cases. */
export async function benchBatch(report: (line: string) => void): Promise<void> {
  const n = Number(process.env['BERTH_BENCH_BATCH_CASES'] ?? 500);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-bench-batch-'));
  try {
    await writeFile(
      path.join(dir, 'machine.yaml'),
      'metadata-version: 2\ninfo: {name: trivial}\nschema-in:\n  value: {type: string}\nschema-out:\n  count: {type: integer}\n' +
        `berth:\n  command: ${JSON.stringify(['/bin/sh', '-c', 'echo 5 > "$BERTH_OUTPUT/count"'])}\n`,
    );
    const cases = path.join(dir, 'cases');
    await mkdir(cases);
    for (let i = 0; i < n; i++)
      await writeFile(path.join(cases, `c${String(i).padStart(4, '0')}.yaml`), `inputs: {value: v${i}}\n`);
    const test = await berth(['test', dir, '--cases', cases]);
    const batch = await berth([
      'batch',
      dir,
      '--cases',
      cases,
      '--out',
      path.join(dir, 'out'),
      '--concurrency',
      '2',
    ]);
    const queued = await queuedRun(dir, cases);
    if (test.code !== 0 || batch.code !== 0 || (queued && queued.code !== 0))
      throw new Error(`a run failed: test ${test.code}, batch ${batch.code}, queue ${queued?.code}`);
    const perMinute = (ms: number): string => ((n * 60_000) / ms).toFixed(0).padStart(6);
    report(`${n} trivial cases (shell machine), the CLI's start-up included`);
    report(
      `  berth test (sequential, no reports)            ${(test.ms / 1000).toFixed(1).padStart(7)} s  ${perMinute(test.ms)} cases/min`,
    );
    report(
      `  berth batch --concurrency 2 (reports, markers) ${(batch.ms / 1000).toFixed(1).padStart(7)} s  ${perMinute(batch.ms)} cases/min   ${(test.ms / batch.ms).toFixed(2)}× test`,
    );
    if (!queued) {
      report('  berth batch --queue: skipped (no redis-server; apt-get install redis-server)');
      return;
    }
    report(
      `  berth batch --queue, 2 workers × 1            ${(queued.ms / 1000).toFixed(1).padStart(7)} s  ${perMinute(queued.ms)} cases/min   ` +
        `${((queued.ms - batch.ms) / n).toFixed(1)} ms a case over the local pool (target ≤ 50)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  await benchBatch((line) => console.log(line));
