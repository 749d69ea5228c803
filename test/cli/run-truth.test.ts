/**
 * `berth run` tells the truth and keeps nothing hidden (issue 12, section 3): options are checked
 * before anything runs, invalid outputs are `invalid-output` with their findings, reports name
 * paths relative to the run, say where things are, and cut nothing when stdout is not a TTY.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { hasStackTrace, runCli } from '../support/cli.js';
import { ROOT } from '../support/paths.js';
import { requirePeer } from '../support/peers.js';
import { PODMAN } from '../support/podman.js';

const MANIFEST = `metadata-version: 2
info:
  name: tiny
schema-in:
  n:
    type: number
schema-out:
  answer:
    type: number
  notes.txt:
    mime-type: text/plain
    nullable: true
`;

const LONG_NAME = `an-undeclared-output-whose-name-is-far-longer-than-any-terminal-${'x'.repeat(80)}.txt`;

const MACHINES: Record<string, string> = {
  // Checks its outputs with the SDK without writing the one it declares.
  'finish.mjs': `import { openMachine } from ${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))};
const m = await openMachine();
await m.finish();
`,
  // Writes its answer and a file the manifest does not declare.
  'extra.mjs': `import { writeFileSync } from 'node:fs';
writeFileSync(process.env.BERTH_OUTPUT + '/answer', '42');
writeFileSync(process.env.BERTH_OUTPUT + '/${LONG_NAME}', 'x');
`,
  // Says its outputs are invalid (exit 11) when they are not.
  'exit11.mjs': `import { writeFileSync } from 'node:fs';
writeFileSync(process.env.BERTH_OUTPUT + '/answer', '42');
process.exit(11);
`,
  // Leaves a trace when it runs at all.
  'touch.mjs': `import { writeFileSync } from 'node:fs';
writeFileSync(process.env.MARKER, 'ran');
writeFileSync(process.env.BERTH_OUTPUT + '/answer', '42');
`,
};

describe('berth run tells the truth and keeps nothing hidden', function () {
  this.timeout(60_000);
  let dir: string;
  let machine: string;
  let caseFile: string;
  /** A fresh TMPDIR for each berth process, so a run folder left behind is seen. */
  let tmp: string;
  let marker: string;
  const run = (args: string[]) =>
    runCli(['run', machine, '--case', caseFile, ...args], { env: { TMPDIR: tmp, MARKER: marker } });
  const leftovers = () => readdirSync(tmp).filter((n) => n.startsWith('berth-run-'));

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-run-truth-'));
    machine = path.join(dir, 'machine');
    mkdirSync(machine);
    writeFileSync(path.join(machine, 'machine.yaml'), MANIFEST);
    for (const [name, text] of Object.entries(MACHINES)) writeFileSync(path.join(machine, name), text);
    caseFile = path.join(dir, 'case.yaml');
    writeFileSync(caseFile, 'inputs:\n  n: 1\n');
  });
  beforeEach(() => {
    tmp = mkdtempSync(path.join(dir, 'tmp-'));
    marker = path.join(tmp, 'marker');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [what, args, message] of [
    [
      'a --report name that is no report',
      ['--report', path.join('r', 'run.txt')],
      /--report "r\/run\.txt" is not a report file name/,
    ],
    ['a --report that is a directory', ['--report', os.tmpdir() + '/'], /is not a report file name/],
    [
      'an unknown driver',
      ['--driver', 'teleport'],
      /There is no driver "teleport"; expected process, sandbox, container/,
    ],
    ['an --out folder that is not empty', ['--out', ROOT], /--out .* is not empty/],
  ] as const) {
    it(`refuses ${what} with exit 2 before anything runs, leaving no run folder`, async () => {
      const r = await run(['--cmd', 'node touch.mjs', ...args]);
      expect(r.code, r.stdout + r.stderr).to.equal(2);
      expect(r.stderr).to.match(/^berth: BERTH_E_USAGE: /);
      expect(r.stderr).to.match(message);
      expect(hasStackTrace(r.stderr)).to.equal(false);
      expect(existsSync(marker), 'the machine ran').to.equal(false);
      expect(leftovers()).to.deep.equal([]);
    });
  }

  it('refuses a missing container image as a setup error (exit 2) that says to build it with berth build', async function () {
    await requirePeer(this, PODMAN);
    const r = await run(['--driver', 'container', '--image', 'berth-test-no-such-image:never']);
    expect(r.code, r.stdout + r.stderr).to.equal(2);
    expect(r.stderr).to.include('BERTH_E_IMAGE_NOT_FOUND');
    expect(r.stderr).to.include('build it with `berth build');
    expect(r.stderr).to.include('--tag berth-test-no-such-image:never`');
    expect(r.stdout).to.not.include('MACHINE ERROR');
    expect(leftovers()).to.deep.equal([]);
    // berth serve refuses to start with it, rather than failing every request.
    const serve = await runCli(
      ['serve', machine, '--driver', 'container', '--image', 'berth-test-no-such-image:never', '--port', '0'],
      { env: { TMPDIR: tmp } },
    );
    expect(serve.code, serve.stderr).to.equal(2);
    expect(serve.stderr).to.include('BERTH_E_IMAGE_NOT_FOUND');
  });

  it("reports outputs the SDK's finish() finds invalid as invalid-output (exit 11) with each finding, not a machine error", async () => {
    const r = await run(['--cmd', 'node finish.mjs']);
    expect(r.code, r.stdout + r.stderr).to.equal(11);
    expect(r.stdout).to.include('[INVALID OUTPUT]');
    expect(r.stdout).to.match(/✗ BERTH_E_TREE_MISSING\s+schema-out\/answer/);
    expect(r.stdout).to.not.include('MACHINE ERROR');
  });

  it('reports a machine that exits 11 while its outputs are valid as a machine error', async () => {
    const r = await run(['--cmd', 'node exit11.mjs']);
    expect(r.code, r.stdout + r.stderr).to.equal(12);
    expect(r.stdout).to.include('The machine exited with code 11, yet its outputs are valid');
  });

  it('names paths relative to the run, cuts nothing when stdout is no TTY, and says the run folder was removed', async () => {
    const json = path.join(tmp, 'run.json');
    const r = await run(['--cmd', 'node extra.mjs', '--report', json]);
    expect(r.code, r.stdout + r.stderr).to.equal(11);
    expect(r.stdout).to.include(`BERTH_E_TREE_UNDECLARED  output/${LONG_NAME}`);
    expect(r.stdout).to.not.include('…');
    expect(r.stdout).to.include(
      'The run folder (input/, output/, status/, logs/) was removed: keep it with --keep',
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      outputFindings: { path: string; message: string }[];
      runFolder: { path: string; kept: boolean };
    };
    expect(report.outputFindings[0]!.path).to.equal(`output/${LONG_NAME}`);
    expect(report.outputFindings[0]!.message).to.include(
      'the EnvoyAI platform takes only the outputs the manifest declares',
    );
    expect(report.runFolder.kept).to.equal(false);
    expect(existsSync(report.runFolder.path)).to.equal(false);
    expect(leftovers()).to.deep.equal([]);
  });

  it('--out DIR copies the final output tree there and the JSON report records it and the kept run folder', async () => {
    const out = path.join(tmp, 'out');
    const json = path.join(tmp, 'run.json');
    const r = await run(['--cmd', 'node touch.mjs', '--out', out, '--report', json, '--keep']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(readFileSync(path.join(out, 'answer'), 'utf8')).to.equal('42');
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      outputsCopiedTo: string;
      runFolder: { path: string; kept: boolean };
    };
    expect(report.outputsCopiedTo).to.equal(out);
    expect(report.runFolder.kept).to.equal(true);
    expect(readFileSync(path.join(report.runFolder.path, 'output', 'answer'), 'utf8')).to.equal('42');
    expect(r.stdout).to.match(new RegExp(`outputs\\s+${out}`));
    expect(r.stdout).to.match(new RegExp(`run\\s+${report.runFolder.path}`));
    rmSync(report.runFolder.path, { recursive: true, force: true });
  });

  it('--update rewrites inline expected.outputs in the case file, keeping its comments, and the next run passes', async () => {
    const inline = path.join(tmp, 'inline.yaml');
    writeFileSync(inline, '# my case\ninputs:\n  n: 1\nexpected:\n  outputs:\n    answer: 41 # the answer\n');
    const env = { TMPDIR: tmp, MARKER: marker };
    const before = await runCli(['run', machine, '--case', inline, '--cmd', 'node touch.mjs'], { env });
    expect(before.code, before.stdout).to.equal(10);
    const r = await runCli(['run', machine, '--case', inline, '--cmd', 'node touch.mjs', '--update'], {
      env,
    });
    expect(r.code, r.stdout + r.stderr).to.equal(10);
    expect(r.stdout).to.include(`expected outputs updated: 1 inline value(s) in ${inline} (answer)`);
    expect(readFileSync(inline, 'utf8')).to.equal(
      '# my case\ninputs:\n  n: 1\nexpected:\n  outputs:\n    answer: 42 # the answer\n',
    );
    expect(existsSync(path.join(tmp, 'expected')), 'an expected/ tree nobody reads').to.equal(false);
    const after = await runCli(['run', machine, '--case', inline, '--cmd', 'node touch.mjs'], { env });
    expect(after.code, after.stdout).to.equal(0);
  });

  it('--update refuses inline expected outputs that have no inline form, with the reason, before anything runs', async () => {
    const inline = path.join(tmp, 'inline-file.yaml');
    const text =
      'inputs:\n  n: 1\nexpected:\n  outputs:\n    answer: 42\n    notes.txt: {file: ./notes.txt}\n';
    writeFileSync(inline, text);
    const r = await runCli(['run', machine, '--case', inline, '--cmd', 'node touch.mjs', '--update'], {
      env: { TMPDIR: tmp, MARKER: marker },
    });
    expect(r.code, r.stdout + r.stderr).to.equal(2);
    expect(r.stderr).to.include(
      '--update cannot rewrite the inline expected.outputs of the case inline-file: notes.txt (text/plain) has no inline form in a case file',
    );
    expect(r.stderr).to.include('keep files, ndarrays and DICOM in an expected/ tree (outputs-dir)');
    expect(existsSync(marker)).to.equal(false);
    expect(readFileSync(inline, 'utf8')).to.equal(text);
    expect(leftovers()).to.deep.equal([]);
  });
});
