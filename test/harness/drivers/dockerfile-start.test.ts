import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { processDriver } from '../../../src/harness/drivers/process.js';
import { executeCase } from '../../../src/harness/execute.js';
import { launchPlan, resolveMachine } from '../../../src/harness/machine.js';
import { checkManifest } from '../../../src/check/manifest.js';
import { dockerfileStart } from '../../../src/manifest/dockerfile-run.js';
import { BWRAP_PEER } from '../../support/bwrap.js';
import { requirePeer } from '../../support/peers.js';

/**
 * A machine written as the EnvoyAI reference's examples are: a Dockerfile with `com.envoyai.*`
 * LABELs, `ADD . /prog`, `WORKDIR /prog`, `ENTRYPOINT ["python3", "cmd.py"]`, and a Python script
 * with the platform's fixed `/envoyai/...` paths, and a `display` label of `display-elements`
 * groups (one of them empty) as REF.md writes it.
 */
const DOCKERFILE = `FROM python:3.11-slim
LABEL com.envoyai.metadata-version="2"
LABEL com.envoyai.info="\\
name: reference-style\\n\\
title: Counts the slices of a CT series"
LABEL com.envoyai.schema-in="\\
series:\\n\\
  dicom-type: dicom-series"
LABEL com.envoyai.schema-out="\\
slices:\\n\\
  type: integer"
LABEL com.envoyai.display="\\
source-display-group:\\n\\
  presentation: tile\\n\\
  display-elements:\\n\\
    - title: Input series\\n\\
      id: input-series\\n\\
      content:\\n\\
        pointer:\\n\\
          source: input\\n\\
          property: series\\n\\
results-display-group:\\n\\
  display-elements: []"
ADD . /prog
WORKDIR /prog
ENTRYPOINT ["python3", "cmd.py"]
`;

const CMD_PY = `import os

INPUT_DIR = '/envoyai/input'
OUTPUT_DIR = '/envoyai/output'
STATUS_DIR = '/envoyai/status'

assert os.getcwd() == '/prog', os.getcwd()
series = os.path.join(INPUT_DIR, 'series')
count = 0
for name in sorted(os.listdir(series)):
    with open(os.path.join(series, name), 'rb') as f:
        head = f.read(132)
    if head[128:132] == b'DICM':
        count += 1
with open(os.path.join(STATUS_DIR, 'progress'), 'w') as f:
    f.write('100%\\n')
with open(os.path.join(OUTPUT_DIR, 'slices'), 'w') as f:
    f.write(str(count))
`;

describe('harness: starting a machine from its Dockerfile (no --cmd)', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-dockerfile-start-'));
    await writeFile(path.join(dir, 'Dockerfile'), DOCKERFILE);
    await writeFile(path.join(dir, 'cmd.py'), CMD_PY);
    await writeFile(
      path.join(dir, 'case.yaml'),
      'inputs:\n  series: {synth: {seed: 3, instances: 5, rows: 16, columns: 16, modality: CT}}\nexpected:\n  outputs:\n    slices: 5\n',
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads ENTRYPOINT, CMD, WORKDIR and the ADD destination as Docker combines them', () => {
    const s = dockerfileStart(DOCKERFILE, 'Dockerfile');
    expect(s.command).to.deep.equal(['python3', 'cmd.py']);
    expect(s.workdir).to.equal('/prog');
    expect(s.contextAt).to.equal('/prog');
    const shell = dockerfileStart('FROM x\nENTRYPOINT python3 run.py\nCMD ["ignored"]\n', 'D');
    expect(shell.command).to.deep.equal(['/bin/sh', '-c', 'python3 run.py']);
    const both = dockerfileStart(
      'FROM x\nWORKDIR /a\nWORKDIR b\nCOPY ./ .\nENTRYPOINT ["python"]\nCMD ["-u", "m.py"]\n',
      'D',
    );
    expect(both.command).to.deep.equal(['python', '-u', 'm.py']);
    expect(both.workdir).to.equal('/a/b');
    expect(both.contextAt).to.equal('/a/b');
    const cmdShell = dockerfileStart('FROM x\nCMD echo hi\n', 'D');
    expect(cmdShell.command).to.deep.equal(['/bin/sh', '-c', 'echo hi']);
    // An ENTRYPOINT resets the CMD inherited from an earlier stage, not one of its own stage.
    const staged = dockerfileStart('FROM x AS base\nCMD ["old"]\nFROM base\nENTRYPOINT ["e"]\n', 'D');
    expect(staged.command).to.deep.equal(['e']);
  });

  it('the process driver runs the Dockerfile command from the machine folder, and says so', async () => {
    const machine = await resolveMachine(dir);
    const plan = launchPlan(machine, processDriver);
    expect(plan.command).to.deep.equal(['python3', 'cmd.py']);
    expect(plan.contextAt).to.equal(undefined);
    expect(plan.notices.join('\n')).to.include('ENTRYPOINT ["python3","cmd.py"]');
  });

  it('the process driver hints --driver sandbox when the machine fails on a hard-coded /envoyai path', async () => {
    const result = await executeCase({
      machine: await resolveMachine(dir),
      casePath: path.join(dir, 'case.yaml'),
      driver: 'process',
      command: ['/usr/bin/python3', '-c', "open('/envoyai/output/slices', 'w')"],
    });
    await result.cleanup();
    expect(result.report.outcome).to.equal('machine-error');
    expect(result.report.notices.join('\n')).to.include('--driver sandbox');
  });

  it('a reference-style Python machine with a DICOM series input passes under the sandbox with no --cmd', async function () {
    await requirePeer(this, BWRAP_PEER);
    const machine = await resolveMachine(dir);
    const manifestFindings = checkManifest(machine.definition.source).findings;
    expect(manifestFindings, JSON.stringify(manifestFindings)).to.deep.equal([]);
    const result = await executeCase({
      machine,
      casePath: path.join(dir, 'case.yaml'),
      driver: 'sandbox',
    });
    await result.cleanup();
    expect(result.report.outcome, `${result.report.reason}\n${result.report.stderr?.tail}`).to.equal(
      'passed',
    );
    expect(result.report.notices.join('\n')).to.include('in /prog, with the machine folder at /prog');
  });

  it('without --writable-input a machine writing into its input fails with a hint naming the flag; with it, it passes', async function () {
    await requirePeer(this, BWRAP_PEER);
    const writer = [
      '/usr/bin/python3',
      '-c',
      "open('/envoyai/input/scratch', 'w').write('x'); open('/envoyai/output/slices', 'w').write('5')",
    ];
    const machine = await resolveMachine(dir);
    const casePath = path.join(dir, 'case.yaml');
    const ro = await executeCase({ machine, casePath, driver: 'sandbox', command: writer });
    await ro.cleanup();
    expect(ro.report.outcome).to.equal('machine-error');
    const warning = ro.report.inputFindings.find((f) => f.code === 'BERTH_E_INPUT_READ_ONLY');
    expect(warning?.severity).to.equal('warning');
    expect(warning?.message).to.include('--writable-input');
    const rw = await executeCase({
      machine,
      casePath,
      driver: 'sandbox',
      command: writer,
      writableInput: true,
    });
    await rw.cleanup();
    expect(rw.report.outcome, rw.report.reason).to.equal('passed');
  });
});
