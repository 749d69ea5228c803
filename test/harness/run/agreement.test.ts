/**
 * `berth run` (runCase, process driver) and `berth exec` (the base image's entrypoint) judge a run
 * by one verdict: the same machine on the same input tree ends with the same outcome and the same
 * reason in both, the status file's place aside (relative to the run folder in a run's report).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { loadCase } from '../../../src/harness/case.js';
import { processDriver } from '../../../src/harness/drivers/process.js';
import { execMachine } from '../../../src/harness/exec.js';
import { resolveMachine } from '../../../src/harness/machine.js';
import { runCase } from '../../../src/harness/run.js';
import { removeDir, tempDir } from '../../support/temp.js';

const MANIFEST = `metadata-version: 2
info: {name: agreement}
schema-in:
  n: {type: integer}
schema-out:
  answer: {type: integer}
`;

/** MODE picks what the machine does. */
const MACHINE = `import fs from 'node:fs';
import path from 'node:path';
const out = process.env.BERTH_OUTPUT, status = process.env.BERTH_STATUS;
const answer = (v) => fs.writeFileSync(path.join(out, 'answer'), v);
switch (process.env.MODE) {
  case 'pass': answer('42'); break;
  case 'bad-output': answer('forty-two'); break;
  case 'nothing': break;
  case 'exit3': process.exit(3);
  case 'own-error': fs.writeFileSync(path.join(status, 'error'), 'model weights missing\\nmore\\n'); process.exit(1);
  case 'error-exit0': answer('42'); fs.writeFileSync(path.join(status, 'error'), 'gave up quietly\\n'); break;
  case 'finish-valid': answer('42'); process.exit(11);
  case 'sigkill': process.kill(process.pid, 'SIGKILL'); break;
}
`;

const MODES = [
  'pass',
  'bad-output',
  'nothing',
  'exit3',
  'own-error',
  'error-exit0',
  'finish-valid',
  'sigkill',
];

describe('harness/run: berth run and berth exec agree', function () {
  this.timeout(60_000);
  let dir: string | undefined;
  before(async () => {
    const root = await tempDir('agreement');
    dir = root;
    await writeFile(path.join(root, 'machine.yaml'), MANIFEST);
    await writeFile(path.join(root, 'machine.mjs'), MACHINE);
    for (const [name, n] of [
      ['good', '3'],
      ['broken', 'three'],
    ] as const) {
      await mkdir(path.join(root, name, 'input'), { recursive: true });
      await writeFile(path.join(root, name, 'input', 'n'), n);
      await writeFile(path.join(root, name, 'case.yaml'), 'input-dir: input\n');
    }
  });
  after(() => removeDir(dir));

  /** Both ways, on a copy of one input tree each; the outcome and reason of each. */
  async function both(mode: string, inputs: 'good' | 'broken') {
    const machineDir = dir!;
    const command = [process.execPath, path.join(machineDir, 'machine.mjs')];
    const machine = await resolveMachine(machineDir);
    const ran = await runCase({
      definition: machine.definition,
      machineDir,
      case: await loadCase(path.join(machineDir, inputs, 'case.yaml')),
      driver: processDriver,
      command,
      env: { MODE: mode },
    });
    await ran.cleanup();
    const root = path.join(machineDir, `exec-${mode}-${inputs}`);
    const roots = {
      input: path.join(machineDir, inputs, 'input'),
      output: path.join(root, 'output'),
      status: path.join(root, 'status'),
      manifest: path.join(machineDir, 'machine.yaml'),
    };
    await mkdir(roots.output, { recursive: true });
    await mkdir(roots.status, { recursive: true });
    const env = { ...process.env, MODE: mode, BERTH_OUTPUT: roots.output, BERTH_STATUS: roots.status };
    const exec = await execMachine({ command, roots, env, log: () => {} });
    return {
      run: { outcome: ran.report.outcome, reason: ran.report.reason },
      exec: { outcome: exec.outcome, reason: exec.reason.split(root + path.sep).join('') },
    };
  }

  for (const mode of MODES) {
    it(`ends a machine that does '${mode}' with one outcome and one reason`, async () => {
      const { run, exec } = await both(mode, 'good');
      expect(exec).to.deep.equal(run);
    });
  }

  it('stops broken inputs before the launch with one outcome and one reason', async () => {
    const { run, exec } = await both('pass', 'broken');
    expect(run.outcome).to.equal('invalid-input');
    expect(exec).to.deep.equal(run);
  });
});
