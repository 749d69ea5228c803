import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { CLI, hasStackTrace, runCli } from '../support/cli.js';
import { EirWire, connectToServer } from '../support/eir-client.js';
import { MANIFEST, definitionOf, writeDataset } from '../support/eir-case.js';
import { removeDir } from '../support/temp.js';

/** A running `berth stream`, with what it printed so far. */
interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcessWithoutNullStreams>();

function start(args: readonly string[]): Running {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const running: Running = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal }))),
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (running.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (running.stderr += d));
  void running.exited.then(() => live.delete(child));
  return running;
}

/** Waits for the URL line on stdout (or fails with what the process printed). */
async function urlOf(running: Running, ms = 20_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const match = /^(ws:\/\/\S+)$/m.exec(running.stdout);
    if (match) return match[1]!;
    if (running.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no URL printed; stdout ${running.stdout}; stderr ${running.stderr}`);
}

async function exitWithin(
  running: Running,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`berth stream did not exit within ${ms} ms`)), ms);
  });
  return Promise.race([running.exited, timeout]).finally(() => clearTimeout(timer));
}

// The CLI is the built one (dist/): run `npm run build` before these tests.
describe('cli: berth stream', function () {
  this.timeout(60_000);
  let dir: string | undefined;
  let manifest: string;
  const def = definitionOf(MANIFEST);

  beforeEach(async () => {
    ({ dir } = await writeDataset(def, 3));
    manifest = path.join(dir, 'machine.json');
    await writeFile(manifest, JSON.stringify(MANIFEST));
  });
  afterEach(async () => {
    // Only the processes this test started, by their own handle.
    for (const child of live) child.kill('SIGKILL');
    await removeDir(dir);
    dir = undefined;
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`prints the URL, serves a handshake and the info, and stops on ${signal} leaving no listener`, async () => {
      const running = start(['stream', dir!, '--manifest', manifest, '--port', '0']);
      const url = await urlOf(running);
      expect(url).to.match(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
      expect(running.stdout.trim()).to.equal(url);
      const wire = await connectToServer(url, { recvMs: 5_000 });
      wire.send({ type: 'getInfo' });
      const info = await wire.next(5_000, 'info');
      expect(info['type']).to.equal('info');
      expect(Object.keys((info['payload'] as { inputs: object }).inputs)).to.have.length(6);
      wire.send({ type: 'getData', payload: { batch_size: 3 } });
      const data = await wire.next(5_000, 'data');
      expect((data['payload'] as { sample_id: string }[]).map((s) => s.sample_id)).to.deep.equal([
        'case-00',
        'case-01',
        'case-02',
      ]);
      running.child.kill(signal);
      const exit = await exitWithin(running, 10_000);
      expect(exit).to.deep.equal({ code: 0, signal: null });
      expect(running.stderr).to.include(`stopped (${signal})`);
      expect(hasStackTrace(running.stderr)).to.equal(false);
      await wire.waitClosed(5_000);
      let refused: unknown;
      await EirWire.open(url, 3_000).then(
        (w) => w.close(),
        (e: unknown) => (refused = e),
      );
      expect((refused as { code?: string } | undefined)?.code).to.equal('ECONNREFUSED');
    });
  }

  it('honours --host, --path and --skip-unsupported', async () => {
    const doc = structuredClone(MANIFEST) as { 'schema-in': Record<string, object> };
    doc['schema-in']['when'] = { type: 'date-time', nullable: true };
    await writeFile(manifest, JSON.stringify(doc));
    const refused = await runCli(['stream', dir!, '--manifest', manifest, '--port', '0'], {
      timeoutMs: 20_000,
    });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('BERTH_E_EIR_UNSUPPORTED').and.include('schema-in/when');
    expect(refused.stdout).to.equal('');

    const running = start([
      'stream',
      dir!,
      '--manifest',
      manifest,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--path',
      '/eir',
      '--skip-unsupported',
    ]);
    const url = await urlOf(running);
    expect(url).to.match(/\/eir$/);
    expect(running.stderr).to.include('warning').and.include('BERTH_E_EIR_UNSUPPORTED');
    const wire = await connectToServer(url, { recvMs: 5_000 });
    await wire.close();
    running.child.kill('SIGTERM');
    expect((await exitWithin(running, 10_000)).code).to.equal(0);
  });

  it('refuses a dataset with an incomplete case: codes and paths, exit 1, nothing served', async () => {
    await rm(path.join(dir!, 'case-01', 'expected'), { recursive: true });
    await rm(path.join(dir!, 'case-02', 'input', 'notes'));
    const result = await runCli(['stream', dir!, '--manifest', manifest, '--port', '0'], {
      timeoutMs: 20_000,
    });
    expect(result.code).to.equal(1);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.include('BERTH_E_EIR_CASE').and.include(path.join(dir!, 'case-01'));
    expect(result.stderr)
      .to.include('BERTH_E_TREE_MISSING')
      .and.include(path.join(dir!, 'case-02', 'input', 'notes'));
    expect(result.stderr).to.include('nothing is served');
    expect(hasStackTrace(result.stderr)).to.equal(false);
  });

  it('exits 2 on wrong arguments or an unusable manifest', async () => {
    const port = await runCli(['stream', dir!, '--manifest', manifest, '--port', 'eighty']);
    expect(port.code).to.equal(2);
    expect(port.stderr).to.include('BERTH_E_USAGE');
    const noManifest = await runCli(['stream', dir!]);
    expect(noManifest.code).to.equal(2);
    const missing = await runCli(['stream', dir!, '--manifest', path.join(dir!, 'nope.yaml')]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include('BERTH_E_NOT_FOUND');
  });
});
