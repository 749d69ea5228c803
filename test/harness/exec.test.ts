/**
 * `berth exec` (the base image's entrypoint) as a real process, without containers: the trees and
 * the manifest come from BERTH_INPUT/OUTPUT/STATUS/MANIFEST pointing at temporary folders, the
 * machine is a small Node script whose behaviour the MODE variable picks.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { writeSeries } from '../../src/dicom/synth.js';
import { execMachine, execRoots, statusText } from '../../src/harness/exec.js';
import { OUTCOMES } from '../../src/harness/outcome.js';
import { CLI, hasStackTrace } from '../support/cli.js';

const MANIFEST = `metadata-version: 2
info:
  name: exec-test
schema-in:
  ct:
    dicom-type: dicom-series
    modalities: [CT]
  threshold:
    type: number
    minimum: 0
schema-out:
  answer:
    type: integer
  copy:
    dicom-type: dicom-series
    nullable: true
`;

/** The machine: MODE says what it does; it always says hello on both streams first. */
const MACHINE = `import fs from 'node:fs';
import path from 'node:path';
const out = process.env.BERTH_OUTPUT, status = process.env.BERTH_STATUS, input = process.env.BERTH_INPUT;
fs.writeFileSync(path.join(process.env.MARKERS, 'started'), String(process.pid));
process.stdout.write('machine stdout: hello\\n');
process.stderr.write('machine stderr: hello\\n');
const answer = (v) => fs.writeFileSync(path.join(out, 'answer'), v);
switch (process.env.MODE) {
  case 'pass': answer('42'); break;
  case 'bad-output': answer('forty-two'); break;
  case 'exit3': process.exit(3);
  case 'finish-missing': fs.writeFileSync(path.join(status, 'error'), 'The outputs are invalid\\n'); process.exit(11);
  case 'finish-valid': answer('42'); process.exit(11);
  case 'own-error': fs.writeFileSync(path.join(status, 'error'), 'model weights missing\\nsee the log\\n'); process.exit(1);
  case 'error-exit0': answer('42'); fs.writeFileSync(path.join(status, 'error'), 'gave up quietly\\n'); break;
  case 'sigkill': process.kill(process.pid, 'SIGKILL'); break;
  case 'wait': fs.writeFileSync(path.join(process.env.MARKERS, 'ready'), ''); setInterval(() => {}, 1000); break;
  case 'reuse-uid': {
    answer('42');
    const ct = path.join(input, 'ct');
    const first = fs.readdirSync(ct)[0];
    fs.mkdirSync(path.join(out, 'copy'));
    fs.copyFileSync(path.join(ct, first), path.join(out, 'copy', first));
    break;
  }
}
`;

interface Tree {
  root: string;
  input: string;
  output: string;
  status: string;
  manifest: string;
  markers: string;
  machine: string;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  error: string | undefined;
  started: boolean;
}

describe('harness/exec: berth exec', function () {
  this.timeout(60_000);
  let tree: Tree;

  beforeEach(async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'berth-exec-'));
    tree = {
      root,
      input: path.join(root, 'input'),
      output: path.join(root, 'output'),
      status: path.join(root, 'status'),
      manifest: path.join(root, 'machine.yaml'),
      markers: path.join(root, 'markers'),
      machine: path.join(root, 'machine.mjs'),
    };
    for (const d of [tree.input, tree.output, tree.status, tree.markers]) await mkdir(d);
    await writeFile(tree.manifest, MANIFEST);
    await writeFile(tree.machine, MACHINE);
    await writeSeries(path.join(tree.input, 'ct'), { seed: 5, instances: 2, rows: 8, columns: 8 });
    await writeFile(path.join(tree.input, 'threshold'), '300');
  });
  afterEach(async () => {
    await rm(tree.root, { recursive: true, force: true });
  });

  function env(mode: string): NodeJS.ProcessEnv {
    return {
      ...process.env,
      BERTH_INPUT: tree.input,
      BERTH_OUTPUT: tree.output,
      BERTH_STATUS: tree.status,
      BERTH_MANIFEST: tree.manifest,
      MARKERS: tree.markers,
      MODE: mode,
    };
  }

  /** Runs `berth exec -- node machine.mjs` (or another command) to its end, within 30 s. */
  function exec(
    mode: string,
    command: string[] = ['node', tree.machine],
    onSpawn?: (pid: number) => void,
    spawnEnv: NodeJS.ProcessEnv = env(mode),
  ) {
    return new Promise<Ran>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'exec', '--', ...command], {
        env: spawnEnv,
        cwd: tree.root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('spawn', () => onSpawn?.(child.pid!));
      child.once('error', reject);
      child.once('close', async (code) => {
        clearTimeout(timer);
        const error = await readFile(path.join(tree.status, 'error'), 'utf8').catch(() => undefined);
        const started = (await readdir(tree.markers)).includes('started');
        resolve({ code, stdout, stderr, error, started });
      });
    });
  }

  it('passed (0): runs the machine with its streams untouched and writes no status error', async () => {
    const r = await exec('pass');
    expect(r.code).to.equal(OUTCOMES.passed.exit).and.to.equal(0);
    expect(r.stdout).to.equal('machine stdout: hello\n');
    expect(r.stderr).to.match(/^machine stderr: hello\n/);
    expect(r.stderr).to.include('berth exec: passed (exit 0)');
    expect(r.error).to.equal(undefined);
  });

  it('invalid-output (11): the outputs break the schema, and status/error lists the findings', async () => {
    const r = await exec('bad-output');
    expect(r.code).to.equal(11);
    expect(r.error).to.match(
      /^1 output problem\(s\)\. First: BERTH_E_VALUE_TEXT schema-out\/answer: "forty-two"/,
    );
    expect(r.error!.split('\n')[1]).to.match(/^ {2}BERTH_E_VALUE_TEXT .*answer \(schema-out\/answer\)/);
  });

  it('invalid-output (11): DICOM outputs are checked against the input UIDs', async () => {
    const r = await exec('reuse-uid');
    expect(r.code).to.equal(11);
    expect(r.error).to.include('BERTH_E_DICOM_REUSED_SOP_UID');
  });

  it("invalid-output (11): a machine exiting 11 (the SDK's finish()) gets the findings, not a machine error", async () => {
    const r = await exec('finish-missing');
    expect(r.code).to.equal(11);
    expect(r.error).to.match(/^1 output problem\(s\)\. First: BERTH_E_TREE_MISSING schema-out\/answer/);
  });

  it('machine-error (12): a machine exiting 11 whose outputs are valid', async () => {
    const valid = await exec('finish-valid');
    expect(valid.code).to.equal(12);
    expect(valid.error).to.match(/^The machine exited with code 11, yet its outputs are valid/);
  });

  it('machine-error (12): a non-zero exit without an error file gets one written', async () => {
    const r = await exec('exit3');
    expect(r.code).to.equal(12);
    expect(r.error).to.match(/^The machine exited with code 3 without writing .*error/);
  });

  it("machine-error (12): the machine's own error file is kept as it wrote it", async () => {
    const r = await exec('own-error');
    expect(r.code).to.equal(12);
    expect(r.error).to.equal('model weights missing\nsee the log\n');
    expect(r.stderr).to.include('The machine exited with code 1: model weights missing');
  });

  it('machine-error (12): exit 0 with a status error is still a failure', async () => {
    const r = await exec('error-exit0');
    expect(r.code).to.equal(12);
    expect(r.error).to.equal('gave up quietly\n');
  });

  it('machine-error (12): a command that does not exist, no command, no manifest', async () => {
    const missing = await exec('pass', ['/nonexistent/machine']);
    expect(missing.code).to.equal(12);
    expect(missing.error).to.match(/could not be started: not found/);
    expect(hasStackTrace(missing.stderr)).to.equal(false);

    const none = await exec('pass', []);
    expect(none.code).to.equal(12);
    expect(none.error).to.match(/no command to run: set CMD/);

    await rm(tree.manifest);
    const noManifest = await exec('pass');
    expect(noManifest.code).to.equal(12);
    expect(noManifest.error).to.match(/manifest .*machine\.yaml cannot be used/);
    expect(noManifest.started).to.equal(false);
  });

  it('without BERTH_MANIFEST, reads machine.yaml in the working directory when /envoyai has none', async () => {
    const { BERTH_MANIFEST: _unused, ...rest } = env('pass');
    const r = await exec('pass', undefined, undefined, rest);
    expect(r.code, r.stderr).to.equal(0);
  });

  it('--writable-input: the machine writes into a private copy of its input, and the input tree is untouched', async () => {
    const lines: string[] = [];
    const result = await execMachine({
      command: ['/bin/sh', '-c', `echo x > "$BERTH_INPUT/scratch" && exec node ${tree.machine}`],
      env: env('pass'),
      roots: execRoots(env('pass')),
      writableInput: true,
      log: (l) => lines.push(l),
    });
    expect(result.outcome, result.reason).to.equal('passed');
    expect(lines.join('\n')).to.include('writable copy of the input');
    expect(await readdir(tree.input)).to.not.include('scratch');
  });

  it('killed (14): the machine died by a signal', async () => {
    const r = await exec('sigkill');
    expect(r.code).to.equal(14);
    expect(r.error).to.match(/^The machine was killed by SIGKILL/);
  });

  it('killed (14): SIGTERM to berth exec reaches the machine', async () => {
    let pid = 0;
    const running = exec('wait', undefined, (p) => (pid = p));
    const ready = path.join(tree.markers, 'ready');
    for (let i = 0; i < 300 && !(await readdir(tree.markers)).includes('ready'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await readFile(ready, 'utf8')).to.equal('');
    process.kill(pid, 'SIGTERM');
    const r = await running;
    expect(r.code).to.equal(14);
    expect(r.error).to.match(/^The machine was killed by SIGTERM \(berth exec passed on SIGTERM\)/);
  });

  it('not-applicable (15): a constraint the inputs miss stops it before the machine starts', async () => {
    await rm(path.join(tree.input, 'ct'), { recursive: true });
    await writeSeries(path.join(tree.input, 'ct'), {
      seed: 6,
      modality: 'MR',
      instances: 2,
      rows: 8,
      columns: 8,
    });
    const r = await exec('pass');
    expect(r.code).to.equal(15);
    expect(r.started).to.equal(false);
    expect(r.error).to.match(
      /^The inputs do not meet the machine's constraints; the machine was not started: BERTH_E_DICOM_MODALITY/,
    );
    expect(r.error).to.include('MR');
    expect(await readdir(tree.output)).to.deep.equal([]);
  });

  it('invalid-input (16): broken inputs stop it before the machine starts', async () => {
    await writeFile(path.join(tree.input, 'threshold'), 'three hundred');
    const first = (await readdir(path.join(tree.input, 'ct')))[0]!;
    await writeFile(path.join(tree.input, 'ct', first), 'not DICOM');
    const r = await exec('pass');
    expect(r.code).to.equal(16);
    expect(r.started).to.equal(false);
    expect(r.error).to.match(/^2 input problem\(s\); the machine was not started\. First: BERTH_E_/);
    expect(r.error).to.include('BERTH_E_DICOM_STRAY_FILE').and.to.include('BERTH_E_VALUE_TEXT');
  });

  it('invalid-input (16): a missing input tree', async () => {
    await rm(tree.input, { recursive: true });
    const r = await exec('pass');
    expect(r.code).to.equal(16);
    expect(r.error).to.match(/^The input tree cannot be read/);
  });

  it('writes its status error even when the status folder does not exist yet', async () => {
    await rm(tree.status, { recursive: true });
    const r = await exec('exit3');
    expect(r.code).to.equal(12);
    expect(r.error).to.match(/exited with code 3/);
  });

  it('uses every outcome code of the harness', () => {
    expect([0, 11, 12, 14, 15, 16]).to.deep.equal(
      (
        ['passed', 'invalid-output', 'machine-error', 'killed', 'not-applicable', 'invalid-input'] as const
      ).map((o) => OUTCOMES[o].exit),
    );
  });

  it('defaults to the platform paths and honours BERTH_* roots', () => {
    expect(execRoots({})).to.deep.equal({
      input: '/envoyai/input',
      output: '/envoyai/output',
      status: '/envoyai/status',
      manifest: '/envoyai/machine.yaml',
      manifestFallback: path.resolve('machine.yaml'),
    });
    expect(
      execRoots({ BERTH_INPUT: '/a', BERTH_OUTPUT: '', BERTH_STATUS: 'rel', BERTH_MANIFEST: '/m.yaml' }),
    ).to.deep.equal({
      input: '/a',
      output: '/envoyai/output',
      status: path.resolve('rel'),
      manifest: '/m.yaml',
    });
  });

  it('status text: the reason first, then at most 20 findings', () => {
    const f = {
      code: 'BERTH_E_TREE_MISSING' as const,
      severity: 'error' as const,
      message: 'missing',
      property: 'x',
    };
    const text = statusText(
      'Why',
      Array.from({ length: 25 }, () => f),
    );
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).to.equal('Why');
    expect(lines).to.have.length(22);
    expect(lines[21]).to.equal('  … and 5 more');
  });
});
