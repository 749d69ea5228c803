/**
 * `berth test` says what it does (issue 12, section 3): a line as each case starts, `--case NAME`
 * to run one, a hint how to rerun a failure with a report, and a clear refusal when there are no
 * cases to run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { CLI, hasStackTrace, runCli } from '../support/cli.js';

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
berth:
  command: [node, answer.mjs]
`;

const ANSWER = `import { writeFileSync } from 'node:fs';
if (process.env.MARKER) writeFileSync(process.env.MARKER, 'ran');
writeFileSync(process.env.BERTH_OUTPUT + '/answer', '42');
`;

describe('berth test', function () {
  this.timeout(60_000);
  let dir: string;
  let machine: string;
  let tmp: string;

  const makeMachine = (name: string, cases: Record<string, string>): string => {
    const m = path.join(dir, name);
    mkdirSync(m);
    writeFileSync(path.join(m, 'machine.yaml'), MANIFEST);
    writeFileSync(path.join(m, 'answer.mjs'), ANSWER);
    if (Object.keys(cases).length > 0) mkdirSync(path.join(m, 'cases'));
    for (const [file, text] of Object.entries(cases)) writeFileSync(path.join(m, 'cases', file), text);
    return m;
  };

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cli-test-'));
    machine = makeMachine('m', {
      'one.yaml': 'inputs:\n  n: 1\n',
      'two.yaml': 'inputs:\n  n: 2\n',
      'wrong.yaml': 'inputs:\n  n: 3\nexpected:\n  outcome: not-applicable\n',
    });
  });
  beforeEach(() => {
    tmp = mkdtempSync(path.join(dir, 'tmp-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a line as each case starts, its result, and a rerun command with a report for a failure', async () => {
    const r = await runCli(['test', machine], { cwd: dir, env: { TMPDIR: tmp } });
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).to.equal('run   one (m/cases/one.yaml)');
    expect(lines[1]).to.equal('ok    one: passed');
    expect(lines[2]).to.equal('run   two (m/cases/two.yaml)');
    expect(lines[4]).to.equal('run   wrong (m/cases/wrong.yaml)');
    expect(lines[5]).to.match(/^FAIL {2}wrong: passed \(expected not-applicable\) — /);
    expect(lines[6]).to.equal(
      `      rerun with a report: berth run ${machine} --case m/cases/wrong.yaml --report run.html --keep`,
    );
    expect(lines[7]).to.equal('2 passed, 1 failed');
  });

  it('names the report files of a failed case when --report was given', async () => {
    const reports = path.join(tmp, 'reports');
    const r = await runCli(['test', machine, '--case', 'wrong', '--report', reports], {
      env: { TMPDIR: tmp },
    });
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(r.stdout).to.include(
      `      report: ${path.join(reports, 'wrong.json')}, ${path.join(reports, 'wrong.html')}`,
    );
    expect(existsSync(path.join(reports, 'wrong.html'))).to.equal(true);
  });

  it('shows live progress on a terminal, redrawn in place', () => {
    // util-linux `script` gives the command a pseudo-terminal; bounded by the spawn timeout.
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} test ${JSON.stringify(machine)} --case one`;
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, CI: '', TMPDIR: tmp },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(tty.status, tty.stdout).to.equal(0);
    expect(tty.stdout).to.include('\r\x1b[2Kone  ');
    expect(tty.stdout).to.match(/one {2}[█░·]+ .*(materialise|running|done)/);
    expect(tty.stdout).to.include('1 passed, 0 failed');
  });

  it('writes no progress bar when stderr is not a terminal', async () => {
    const r = await runCli(['test', machine, '--case', 'one'], { env: { TMPDIR: tmp } });
    expect(r.code).to.equal(0);
    expect(r.stderr).to.equal('');
  });

  it('--case NAME runs that case alone (by name or by file name)', async () => {
    for (const name of ['two', 'two.yaml']) {
      const r = await runCli(['test', machine, '--case', name], { env: { TMPDIR: tmp } });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^run {3}two \(.*two\.yaml\)\nok {4}two: passed\n1 passed, 0 failed\n$/);
    }
  });

  it('refuses an unknown --case with exit 2, listing the cases there are', async () => {
    const r = await runCli(['test', machine, '--case', 'three'], { env: { TMPDIR: tmp } });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('BERTH_E_NOT_FOUND: There is no case "three"');
    expect(r.stderr).to.include('expected one of one, two, wrong');
    expect(r.stdout).to.equal('');
  });

  it('says so when the machine has no cases/ folder, and how to run one case instead', async () => {
    const bare = makeMachine('bare', {});
    const r = await runCli(['test', bare], { cwd: dir });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include(
      'BERTH_E_NOT_FOUND: There is no folder of cases: the machine has no cases/ folder',
    );
    expect(r.stderr).to.include('expected a cases/ folder in the machine directory, or --cases DIR');
    expect(r.stderr).to.include('berth run bare --case CASE');
    expect(hasStackTrace(r.stderr)).to.equal(false);
  });

  it('says so when the cases/ folder holds no cases', async () => {
    const empty = makeMachine('empty', {});
    mkdirSync(path.join(empty, 'cases'));
    const r = await runCli(['test', empty]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('The folder of cases holds no cases');
  });

  it('--update refuses a case whose inline expected outputs have no inline form before any case runs, like berth run', async () => {
    const inline = makeMachine('inline', {
      'a.yaml': 'inputs:\n  n: 1\n',
      'b.yaml': 'inputs:\n  n: 1\nexpected:\n  outputs:\n    notes.txt: {file: ./notes.txt}\n',
    });
    const marker = path.join(tmp, 'marker');
    const r = await runCli(['test', inline, '--update'], { env: { TMPDIR: tmp, MARKER: marker } });
    expect(r.code, r.stdout + r.stderr).to.equal(2);
    expect(r.stderr).to.include(
      '--update cannot rewrite the inline expected.outputs of the case b: notes.txt (text/plain) has no inline form',
    );
    expect(existsSync(marker), 'a case ran').to.equal(false);
    expect(readdirSync(path.join(inline, 'cases'))).to.deep.equal(['a.yaml', 'b.yaml']);
  });

  it('refuses a --report that is a file, and an unknown driver, with exit 2 before any case runs', async () => {
    const file = path.join(tmp, 'file');
    writeFileSync(file, '');
    const marker = path.join(tmp, 'marker');
    for (const args of [
      ['--report', file],
      ['--driver', 'teleport'],
    ]) {
      const r = await runCli(['test', machine, ...args], { env: { TMPDIR: tmp, MARKER: marker } });
      expect(r.code, r.stdout + r.stderr).to.equal(2);
      expect(r.stderr).to.match(
        /BERTH_E_USAGE: (--report .* exists and is not a directory|There is no driver)/,
      );
      expect(existsSync(marker)).to.equal(false);
    }
  });
});
