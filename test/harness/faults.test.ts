import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadCase } from '../../src/harness/case.js';
import { processDriver } from '../../src/harness/drivers/process.js';
import { resolveMachine } from '../../src/harness/machine.js';
import { runCase, type RunResult } from '../../src/harness/run.js';
import type { Outcome } from '../../src/harness/outcome.js';

/**
 * The failure modes the EnvoyAI platform was tested against, each a tiny machine run through the
 * process driver, each asserting its outcome code.
 */
describe('harness: fault outcomes (process driver)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-faults-'));
    writeFileSync(
      path.join(dir, 'machine.yaml'),
      [
        'metadata-version: 2',
        'info: {name: faults}',
        'schema-in:',
        '  value: {type: string}',
        'schema-out:',
        '  count: {type: integer}',
        'timeout: 1',
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'case.yaml'), 'inputs:\n  value: hello\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs a machine whose body is the given Node code (it gets IN, OUT, STATUS and fs). */
  async function run(body: string, options: { timeoutMs?: number } = {}): Promise<RunResult> {
    const script = path.join(dir, `m-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(
      script,
      [
        "import fs from 'node:fs';",
        "import { spawn } from 'node:child_process';",
        'const IN = process.env.BERTH_INPUT, OUT = process.env.BERTH_OUTPUT, STATUS = process.env.BERTH_STATUS;',
        body,
      ].join('\n'),
    );
    const machine = await resolveMachine(dir);
    return runCase({
      definition: machine.definition,
      machineDir: dir,
      case: await loadCase(path.join(dir, 'case.yaml')),
      driver: processDriver,
      command: [process.execPath, script],
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  async function expectOutcome(result: RunResult, outcome: Outcome, exitCode: number): Promise<void> {
    try {
      expect(result.report.outcome, result.report.reason).to.equal(outcome);
      expect(result.report.exitCode).to.equal(exitCode);
    } finally {
      await result.cleanup();
    }
  }

  it('a machine that writes a valid output passes (0)', async () => {
    const r = await run(
      "fs.writeFileSync(OUT + '/count', String(fs.readFileSync(IN + '/value', 'utf8').length));",
    );
    expect(r.report.usage?.wallMs).to.be.greaterThan(0);
    expect(r.report.usage?.peakRssBytes).to.be.greaterThan(0);
    await expectOutcome(r, 'passed', 0);
  });

  it('a machine that exits 3 is a machine-error (12)', async () => {
    const r = await run("console.error('boom'); process.exit(3);");
    expect(r.report.process?.exitCode).to.equal(3);
    expect(r.report.stderr?.tail).to.include('boom');
    await expectOutcome(r, 'machine-error', 12);
  });

  it('a machine that writes the error status file is a machine-error, with the text shown (12)', async () => {
    const r = await run(
      "fs.writeFileSync(STATUS + '/error', 'the model file is missing\\n'); fs.writeFileSync(OUT + '/count', '1');",
    );
    expect(r.report.reason).to.include('the model file is missing');
    await expectOutcome(r, 'machine-error', 12);
  });

  it('a machine that sleeps past the timeout is stopped within 2 s of it, leaving no process (13)', async () => {
    const pidFile = path.join(dir, 'pids');
    const r = await run(
      [
        // A grandchild that ignores SIGTERM, to prove the whole group goes.
        "const c = spawn(process.execPath, ['-e', 'process.on(\"SIGTERM\", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
        `fs.writeFileSync(${JSON.stringify(pidFile)}, process.pid + ' ' + c.pid);`,
        "process.on('SIGTERM', () => {});",
        'setInterval(() => {}, 1000);',
      ].join('\n'),
      { timeoutMs: 1000 },
    );
    const wall = r.report.usage!.wallMs;
    expect(wall).to.be.lessThan(1000 + 2000);
    const pids = readFileSyncSafe(pidFile).split(' ').map(Number);
    // SIGKILL is delivered asynchronously: allow the kernel a moment before looking.
    for (let i = 0; i < 20 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
    for (const pid of pids) expect(alive(pid), `pid ${pid} still alive`).to.equal(false);
    await expectOutcome(r, 'timeout', 13);
  });

  it('a machine killed by a signal it did not ask for is killed (14)', async () => {
    const r = await run("process.kill(process.pid, 'SIGKILL');");
    expect(r.report.process?.signal).to.equal('SIGKILL');
    await expectOutcome(r, 'killed', 14);
  });

  it("a machine that writes an integer output as '12abc' is invalid-output (11)", async () => {
    const r = await run("fs.writeFileSync(OUT + '/count', '12abc');");
    expect(r.report.outputFindings.map((f) => f.code)).to.include('BERTH_E_VALUE_TEXT');
    await expectOutcome(r, 'invalid-output', 11);
  });

  it('a machine that writes nothing is invalid-output (11)', async () => {
    const r = await run('');
    expect(r.report.outputFindings.map((f) => f.code)).to.deep.equal(['BERTH_E_TREE_MISSING']);
    await expectOutcome(r, 'invalid-output', 11);
  });

  it('a machine that prints 10 million lines is captured with a cap, in bounded memory', async () => {
    const r = await run(
      [
        "const line = 'x'.repeat(9) + '\\n';",
        'const block = line.repeat(100000);',
        'let n = 0;',
        'function more() { while (n < 100) { n++; if (!process.stdout.write(block)) return process.stdout.once("drain", more); } ',
        "  fs.writeFileSync(OUT + '/count', '1'); }",
        'more();',
      ].join('\n'),
    );
    expect(r.report.stdout?.totalBytes).to.equal(10 * 10_000_000);
    expect(r.report.stdout?.droppedBytes).to.be.greaterThan(0);
    const kept = readdirSync(path.join(r.workDir, 'logs'));
    expect(kept).to.include('stdout.txt');
    await expectOutcome(r, 'passed', 0);
  });

  it('an input that breaks the schema stops the run before launch as invalid-input (16)', async () => {
    writeFileSync(path.join(dir, 'bad-case.yaml'), 'inputs:\n  value: hello\n  extra: 1\n');
    const machine = await resolveMachine(dir);
    const r = await runCase({
      definition: machine.definition,
      machineDir: dir,
      case: await loadCase(path.join(dir, 'bad-case.yaml')),
      driver: processDriver,
      command: [process.execPath, '-e', 'process.exit(0)'],
    });
    expect(r.report.process).to.equal(null);
    await expectOutcome(r, 'invalid-input', 16);
  });
});

/** True while the process exists and is not a zombie waiting to be reaped by init. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function readFileSyncSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
